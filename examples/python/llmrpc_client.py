"""A small llmrpc client using only the Python standard library (Python 3.9+).

It speaks line-delimited JSON-RPC 2.0 to an `llmrpc serve` subprocess (over its stdin/stdout)
or to a running `llmrpc serve --socket PATH` (over a Unix socket). A reader thread parses every
line the server writes; responses are matched to requests by id, and notifications are handed
to callbacks (per request for `llm/chat/completions/chunk`, else to `on_notification`).

Numbers are parsed as `decimal.Decimal`, so costs stay exact (0.00000525, never 5.25e-06 or a
rounded float).

    from llmrpc_client import Client
    with Client.spawn("llmrpc") as c:
        c.call("login/accessToken", {"username": "me@example.com", "password": "..."})
        r = c.call("llm/chat/completions/stream", {...},
                   on_chunk=lambda p: print(p["delta"].get("content", ""), end="", flush=True))
"""

import decimal
import itertools
import json
import os
import socket
import subprocess
import threading


class RPCError(Exception):
    """An error response: `code`, `message` and `data` (a dict with `type` and `retryable`)."""

    def __init__(self, error):
        self.code = error.get("code")
        self.message = error.get("message", "")
        self.data = error.get("data") or {}
        super().__init__(f"{self.code} {self.data.get('type', '')}: {self.message}")


class ConnectionClosed(Exception):
    """The server closed the connection before answering."""


class _Pending:
    """One request waiting for its response."""

    def __init__(self, on_chunk):
        self.on_chunk = on_chunk
        self.done = threading.Event()
        self.response = None


class Client:
    """A JSON-RPC connection to llmrpc. Thread-safe: requests may be sent from any thread,
    also from inside a chunk callback (which runs on the reader thread)."""

    def __init__(self, reader, writer, process=None, sock=None, on_notification=None):
        """`reader`/`writer` are binary file objects; prefer `spawn` or `connect`."""
        self._reader = reader
        self._writer = writer
        self._process = process
        self._sock = sock
        self.on_notification = on_notification
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._pending = {}
        self._closed = False
        self._thread = threading.Thread(target=self._read_loop, name="llmrpc-reader", daemon=True)
        self._thread.start()

    # -- construction --------------------------------------------------------------------------

    @classmethod
    def spawn(cls, binary="llmrpc", args=("serve",), env=None, **kwargs):
        """Starts `binary serve` and talks to it over its stdio. Its stderr (logs) is inherited."""
        proc = subprocess.Popen([binary, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                env=env if env is not None else os.environ.copy())
        return cls(proc.stdout, proc.stdin, process=proc, **kwargs)

    @classmethod
    def connect(cls, path, **kwargs):
        """Connects to `llmrpc serve --socket PATH`. Each connection is its own session."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        return cls(sock.makefile("rb"), sock.makefile("wb"), sock=sock, **kwargs)

    # -- requests ------------------------------------------------------------------------------

    def send(self, message):
        """Writes one message as one line."""
        line = json.dumps(message, separators=(",", ":"), default=_encode_decimal) + "\n"
        with self._write_lock:
            self._writer.write(line.encode("utf-8"))
            self._writer.flush()

    def start(self, method, params=None, on_chunk=None, request_id=None):
        """Sends a request without waiting; returns its id. `wait(id)` gets the result.
        `on_chunk(params)` is called, on the reader thread, for each notification of this request."""
        with self._lock:
            if self._closed:
                raise ConnectionClosed("connection closed")
            rid = next(self._ids) if request_id is None else request_id
            self._pending[rid] = _Pending(on_chunk)
        message = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return rid

    def wait(self, request_id, timeout=None):
        """The result of a started request; raises RPCError on an error response."""
        with self._lock:
            pending = self._pending.get(request_id)
        if pending is None:
            raise KeyError(request_id)
        if not pending.done.wait(timeout):
            raise TimeoutError(f"no response to request {request_id!r}")
        with self._lock:
            self._pending.pop(request_id, None)
        if pending.response is None:
            raise ConnectionClosed("connection closed before the response")
        if "error" in pending.response:
            raise RPCError(pending.response["error"])
        return pending.response.get("result")

    def call(self, method, params=None, on_chunk=None, timeout=None):
        """Sends a request and returns its result (raises RPCError on an error)."""
        return self.wait(self.start(method, params, on_chunk), timeout)

    def notify(self, method, params=None):
        """Sends a notification (no id, no answer)."""
        message = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    def cancel(self, request_id):
        """Asks the server to cancel a request. A stream then answers with finish_reason "cancelled"."""
        self.notify("$/cancelRequest", {"id": request_id})

    # -- shutdown ------------------------------------------------------------------------------

    def close(self):
        """Ends the connection (end of input for a subprocess, which then exits) and waits for it."""
        try:
            if self._sock is not None:
                self._sock.shutdown(socket.SHUT_WR)
            else:
                self._writer.close()
        except OSError:
            pass
        self._thread.join()
        if self._process is not None:
            self._process.wait()
        if self._sock is not None:
            self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- reader thread -------------------------------------------------------------------------

    def _read_loop(self):
        try:
            for raw in self._reader:
                line = raw.strip()
                if line:
                    self._dispatch(json.loads(line, parse_float=decimal.Decimal))
        except (OSError, ValueError):
            pass
        finally:
            with self._lock:
                self._closed = True
                waiting = list(self._pending.values())
            for pending in waiting:
                pending.done.set()

    def _dispatch(self, message):
        if isinstance(message, list):  # a batch reply
            for item in message:
                self._dispatch(item)
            return
        if "method" in message:  # a notification
            params = message.get("params") or {}
            with self._lock:
                pending = self._pending.get(params.get("request_id"))
            if pending is not None and pending.on_chunk is not None:
                pending.on_chunk(params)
            elif self.on_notification is not None:
                self.on_notification(message)
            return
        with self._lock:
            pending = self._pending.get(message.get("id"))
        if pending is not None:
            pending.response = message
            pending.done.set()


def _encode_decimal(value):
    if isinstance(value, decimal.Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def money(value):
    """A cost as plain decimal text ("0.00000525"), or "unpriced" for null."""
    if value is None:
        return "unpriced"
    return format(decimal.Decimal(value), "f")
