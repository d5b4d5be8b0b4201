#!/usr/bin/env python3
"""llmrpc demo: log in, list models, stream a chat live, optionally cancel it, show the cost.

    LLMRPC_EMAIL=admin@example.com LLMRPC_PASSWORD=change-me-please \\
        python3 examples/python/demo.py --llmrpc .build/debug/llmrpc "Say hello"
    python3 examples/python/demo.py --socket /run/user/1000/llmrpc/llmrpc.sock --cancel-after 3

Standard library only. The streamed text goes to stdout as it arrives; everything else is
printed after it, one fact per line.
"""

import argparse
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llmrpc_client import Client, RPCError, money  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description="llmrpc demo client (Python standard library only)")
    p.add_argument("prompt", nargs="?", default="Hello", help="what to ask (default: Hello)")
    p.add_argument("--email", default=os.environ.get("LLMRPC_EMAIL"), help="or env LLMRPC_EMAIL")
    p.add_argument("--password", default=os.environ.get("LLMRPC_PASSWORD"), help="or env LLMRPC_PASSWORD")
    p.add_argument("--model", default="gpt-4o-mini", help="model_name to chat with (default: gpt-4o-mini)")
    p.add_argument("--llmrpc", default=os.environ.get("LLMRPC_BIN", "llmrpc"),
                   help="the llmrpc binary to spawn on stdio (or env LLMRPC_BIN; default: llmrpc on PATH)")
    p.add_argument("--socket", help="connect to `llmrpc serve --socket PATH` instead of spawning")
    p.add_argument("--cancel-after", type=int, metavar="N", help="cancel the stream after N chunks")
    args = p.parse_args()
    if not args.email or not args.password:
        p.error("give --email and --password, or set LLMRPC_EMAIL and LLMRPC_PASSWORD")
    return args


def plural(n, word):
    """`1 request`, `2 requests`."""
    return f"{n} {word}" + ("" if n == 1 else "s")


def main():
    args = parse_args()
    try:
        client = Client.connect(args.socket) if args.socket else Client.spawn(args.llmrpc)
    except OSError as e:
        print(f"error: cannot reach llmrpc: {e}", file=sys.stderr)
        return 1
    with client:
        try:
            run(client, args)
        except RPCError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
    return 0


def run(client, args):
    client.call("login/accessToken", {"username": args.email, "password": args.password})
    print(f"logged in as {args.email}")

    models = client.call("llmModels/list", {"is_active": True})
    print(f"{models['count']} models available")
    for m in models["data"]:
        if m["model_name"] == args.model:
            print(f"model {m['model_name']} ({m['provider']}, key {m['key_source']}): "
                  f"${money(m['input_price_per_million'])}/M in, ${money(m['output_price_per_million'])}/M out")

    chunks = 0
    cancelled = threading.Event()
    stream_id = None

    def on_chunk(params):
        """Runs on the reader thread for every llm/chat/completions/chunk of our stream."""
        nonlocal chunks
        text = params["delta"].get("content")
        if text:
            sys.stdout.write(text)
            sys.stdout.flush()
        chunks += 1
        if args.cancel_after is not None and chunks >= args.cancel_after and not cancelled.is_set():
            cancelled.set()
            client.cancel(stream_id)

    params = {"model": args.model, "messages": [{"role": "user", "content": args.prompt}]}
    # The id is chosen before sending so that the callback can cancel it.
    stream_id = "stream-1"
    client.start("llm/chat/completions/stream", params, on_chunk=on_chunk, request_id=stream_id)
    result = client.wait(stream_id)
    print()
    if cancelled.is_set():
        print(f"cancelled after {plural(chunks, 'chunk')}")

    usage, cost = result["usage"], result["cost"]
    print(f"finish_reason: {result['finish_reason']}")
    print(f"answer: {result['message']['content']}")
    estimated = " (estimated)" if result.get("usage_estimated") else ""
    print(f"usage: {usage['input_tokens']} input + {usage['output_tokens']} output tokens{estimated}")
    print(f"cost: ${money(cost['total_cost'])} (input ${money(cost['input_cost'])}, "
          f"output ${money(cost['output_cost'])}, key {result['key_source']})")

    mine = client.call("billing/usage/myUsage", {"days": 30})
    print(f"my usage, last {mine['days']} days: {plural(mine['total_requests'], 'request')}, "
          f"{mine['total_input_tokens']} input + {mine['total_output_tokens']} output tokens, "
          f"${money(mine['total_cost'])}")
    for m in mine["by_model"]:
        print(f"  {m['model_name']}: {plural(m['requests'], 'request')}, ${money(m['total_cost'])}")


if __name__ == "__main__":
    sys.exit(main())
