#!/usr/bin/env node
// llmrpc from Node.js ≥ 18 with no packages: log in, list models, stream a chat with live output.
//
//   LLMRPC_EMAIL=admin@example.com LLMRPC_PASSWORD=change-me-please \
//     node examples/node/client.mjs --llmrpc .build/debug/llmrpc "Say hello"
//   node examples/node/client.mjs --socket "$XDG_RUNTIME_DIR/llmrpc/llmrpc.sock"
//
// Options: --llmrpc PATH (or env LLMRPC_BIN, default `llmrpc` on PATH) spawns `llmrpc serve` on
// stdio; --socket PATH connects to `llmrpc serve --socket PATH` instead; --model NAME (default
// gpt-4o-mini); --email/--password (or env LLMRPC_EMAIL/LLMRPC_PASSWORD); then the prompt.

import { spawn } from "node:child_process";
import { connect } from "node:net";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";

/** A line-delimited JSON-RPC 2.0 connection: requests matched by id, chunks by request_id. */
class LLMRPC {
  constructor(input, output, child = null) {
    this.output = output;
    this.child = child;
    this.nextID = 1;
    this.pending = new Map(); // id -> {resolve, reject, onChunk}
    this.closed = new Promise((resolve) => {
      const lines = createInterface({ input, crlfDelay: Infinity });
      lines.on("line", (line) => line.trim() && this.dispatch(JSON.parse(line)));
      lines.on("close", () => {
        for (const p of this.pending.values()) p.reject(new Error("connection closed"));
        this.pending.clear();
        resolve();
      });
    });
  }

  /** Spawns `binary serve`; its stderr (logs) goes to ours. */
  static spawn(binary) {
    const child = spawn(binary, ["serve"], { stdio: ["pipe", "pipe", "inherit"] });
    child.on("error", (e) => {
      console.error(`error: cannot start ${binary}: ${e.message}`);
      process.exit(1);
    });
    return new LLMRPC(child.stdout, child.stdin, child);
  }

  /** Connects to `llmrpc serve --socket PATH` (each connection is its own session). */
  static connect(path) {
    return new Promise((resolve, reject) => {
      const socket = connect(path, () => resolve(new LLMRPC(socket, socket)));
      socket.once("error", reject);
    });
  }

  dispatch(message) {
    if (Array.isArray(message)) return message.forEach((m) => this.dispatch(m));
    if (message.method) {
      const p = this.pending.get(message.params?.request_id);
      p?.onChunk?.(message.params);
      return;
    }
    const p = this.pending.get(message.id);
    if (!p) return;
    this.pending.delete(message.id);
    if (message.error) {
      const e = new Error(`${message.error.code} ${message.error.data?.type}: ${message.error.message}`);
      e.rpc = message.error;
      p.reject(e);
    } else {
      p.resolve(message.result);
    }
  }

  /** Sends a request; resolves with its result. `onChunk(params)` gets its notifications. */
  call(method, params, onChunk) {
    const id = this.nextID++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onChunk });
      this.output.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n");
    });
  }

  /** Ends the connection (end of input for a subprocess, which then exits 0). */
  async close() {
    this.output.end();
    await this.closed;
    if (this.child && this.child.exitCode === null) {
      await new Promise((resolve) => this.child.once("exit", resolve));
    }
  }
}

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    llmrpc: { type: "string", default: process.env.LLMRPC_BIN ?? "llmrpc" },
    socket: { type: "string" },
    model: { type: "string", default: "gpt-4o-mini" },
    email: { type: "string", default: process.env.LLMRPC_EMAIL },
    password: { type: "string", default: process.env.LLMRPC_PASSWORD },
  },
});
if (!opts.email || !opts.password) {
  console.error("give --email and --password, or set LLMRPC_EMAIL and LLMRPC_PASSWORD");
  process.exit(2);
}
const prompt = positionals[0] ?? "Hello";

/** Money as the server wrote it, without exponent notation (5.25e-6 prints as 0.00000525). */
const money = (v) =>
  v === null ? "unpriced" : v.toLocaleString("en-US", { useGrouping: false, maximumSignificantDigits: 21 });

const rpc = opts.socket
  ? await LLMRPC.connect(opts.socket).catch((e) => {
      console.error(`error: cannot connect to ${opts.socket}: ${e.message}`);
      process.exit(1);
    })
  : LLMRPC.spawn(opts.llmrpc);
let status = 0;
try {
  await rpc.call("login/accessToken", { username: opts.email, password: opts.password });
  console.log(`logged in as ${opts.email}`);

  const models = await rpc.call("llmModels/list", { is_active: true });
  console.log(`${models.count} models available`);
  for (const m of models.data.filter((m) => m.model_name === opts.model)) {
    console.log(`model ${m.model_name} (${m.provider}, key ${m.key_source}): ` +
      `$${money(m.input_price_per_million)}/M in, $${money(m.output_price_per_million)}/M out`);
  }

  const result = await rpc.call(
    "llm/chat/completions/stream",
    { model: opts.model, messages: [{ role: "user", content: prompt }] },
    (chunk) => chunk.delta.content && process.stdout.write(chunk.delta.content),
  );
  process.stdout.write("\n");
  const { usage, cost } = result;
  console.log(`finish_reason: ${result.finish_reason}`);
  console.log(`usage: ${usage.input_tokens} input + ${usage.output_tokens} output tokens`);
  console.log(`cost: $${money(cost.total_cost)} (key ${result.key_source})`);
} catch (e) {
  console.error(`error: ${e.message}`);
  status = 1;
}
await rpc.close();
process.exit(status);
