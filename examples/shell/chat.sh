#!/usr/bin/env bash
# llmrpc from the shell with socat and jq: log in, one plain chat, print the answer and its cost.
#
#   llmrpc serve --socket /tmp/llmrpc.sock &          # started beforehand
#   LLMRPC_EMAIL=admin@example.com LLMRPC_PASSWORD=change-me-please \
#     examples/shell/chat.sh /tmp/llmrpc.sock "Say hello"
#
# Arguments: SOCKET (or env LLMRPC_SOCKET) and the prompt (default "Hello"). Env LLMRPC_MODEL
# picks the model (default gpt-4o-mini). A session belongs to its connection, so one socat runs
# as a coprocess for the whole script: every request goes to its stdin, every answer comes back
# on its stdout, one JSON message per line.
set -euo pipefail

socket=${1:-${LLMRPC_SOCKET:-}}
prompt=${2:-Hello}
model=${LLMRPC_MODEL:-gpt-4o-mini}
: "${LLMRPC_EMAIL:?set LLMRPC_EMAIL}" "${LLMRPC_PASSWORD:?set LLMRPC_PASSWORD}"
[[ -n $socket ]] || { echo "usage: $0 SOCKET [PROMPT]  (or set LLMRPC_SOCKET)" >&2; exit 2; }
command -v socat >/dev/null || { echo "socat is not installed" >&2; exit 2; }
command -v jq >/dev/null || { echo "jq is not installed" >&2; exit 2; }

coproc RPC { exec socat - "UNIX-CONNECT:$socket"; }
# Our own copies of the coprocess's pipes (bash hides its own from subshells), then close bash's,
# so that closing ours at the end is the connection's end of input.
exec {to_server}>&"${RPC[1]}" {from_server}<&"${RPC[0]}"
eval "exec ${RPC[1]}>&- ${RPC[0]}<&-"

next_id=0
# rpc METHOD PARAMS_JSON: sends a request and sets $result to its result (compact JSON); on an
# error response prints it and exits 1.
rpc() {
  next_id=$((next_id + 1))
  jq -nc --argjson id "$next_id" --arg method "$1" --argjson params "$2" \
    '{jsonrpc: "2.0", id: $id, method: $method, params: $params}' >&"$to_server"
  local line
  while IFS= read -r line <&"$from_server"; do
    # Skip notifications and other ids (none are expected here: one request at a time).
    if jq -e --argjson id "$next_id" '.id == $id' <<<"$line" >/dev/null; then
      if jq -e 'has("error")' <<<"$line" >/dev/null; then
        jq -r '"error: \(.error.code) \(.error.data.type): \(.error.message)"' <<<"$line" >&2
        exit 1
      fi
      result=$(jq -c '.result' <<<"$line")
      return 0
    fi
  done
  echo "error: the server closed the connection" >&2
  exit 1
}

# Money without exponent notation and without rounding: jq 1.6 reads numbers as doubles and writes
# the shortest text that reads back the same (5.25e-06); this moves the decimal point instead.
plain='
def zeros(n): [range(0; n)] | map("0") | join("");
def plain:
  if . == null then "unpriced"
  else tostring as $s
  | if ($s | test("e")) | not then $s
    else ($s | capture("^(?<sign>-?)(?<int>[0-9]+)(\\.(?<frac>[0-9]+))?e(?<exp>[-+]?[0-9]+)$")) as $m
    | ($m.int + ($m.frac // "")) as $d
    | (($m.int | length) + ($m.exp | tonumber)) as $p
    | $m.sign + (if $p <= 0 then "0." + zeros(-$p) + $d
                 elif $p >= ($d | length) then $d + zeros($p - ($d | length))
                 else $d[:$p] + "." + $d[$p:] end)
    end
  end;'

rpc login/accessToken "$(jq -nc --arg u "$LLMRPC_EMAIL" --arg p "$LLMRPC_PASSWORD" '{username: $u, password: $p}')"
echo "logged in as $LLMRPC_EMAIL"

rpc llm/chat/completions "$(jq -nc --arg m "$model" --arg t "$prompt" '{model: $m, messages: [{role: "user", content: $t}]}')"
jq -r "$plain"'
  "answer: \(.message.content)",
  "usage: \(.usage.input_tokens) input + \(.usage.output_tokens) output tokens",
  "cost: $\(.cost.total_cost | plain) (input $\(.cost.input_cost | plain), output $\(.cost.output_cost | plain), key \(.key_source))"' \
  <<<"$result"

# Closing our end of the connection ends the session; socat then exits.
pid=$RPC_PID
exec {to_server}>&-
wait "$pid" 2>/dev/null || true
