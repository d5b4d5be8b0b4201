import Threading
import ArgumentParser
import FoundationEssentials
import LLMDomain
import LLMJSON
import LLMServer
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `llmrpc chat`: one question to a model, the answer streamed to the terminal, then its cost.
struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Ask a model; its answer streams to stdout as it is written, then its cost goes to stderr.",
        discussion: """
        The prompt is the arguments (joined with spaces) or, without any, all of stdin:
          llmrpc chat "Explain WAL mode in one paragraph"
          git diff | llmrpc chat --model gpt-4o-mini

        The answer goes to stdout token by token. When it is complete, one line on stderr says \
        what it used and cost, exactly as it is billed, e.g.
          [claude-sonnet-4-5 · 11 in / 6 out tokens · $0.000123]
        ("unpriced" when the model has no price; "estimated" when the provider did not report usage).

        Logging in: the first time you are asked for your email and password (on the terminal, \
        without echo; or from --email / LLMRPC_EMAIL and LLMRPC_PASSWORD in scripts). The access \
        token is kept in <data dir>/token (mode 0600) and used until it expires; then you are asked \
        again.

        Ctrl-C cancels the answer: the server stops the provider's request, and the cost of what \
        was used so far is still printed (and recorded); the exit status is then 130. A second \
        Ctrl-C quits at once. Other failures exit with status 1.

        By default chat starts its own private `llmrpc serve` (same configuration flags) and talks \
        JSON-RPC to it over pipes; with --socket it uses a running `llmrpc serve --socket` instead.
        """)

    @OptionGroup var client: ClientOptions

    @Option(name: .long, help: ArgumentHelp(
        "The model, by the name `llmrpc models` lists (LLMRPC_MODEL). Default: the first model you can use.",
        valueName: "name"))
    var model: String?

    @Option(name: .long, help: "The most tokens the answer may have.")
    var maxTokens: Int?

    @Argument(help: "The prompt. Without it, all of stdin is read.")
    var prompt: [String] = []

    func validate() throws {
        if let m = maxTokens, m < 1 { throw ValidationError("--max-tokens must be at least 1") }
    }

    func run() async throws {
        let config = try client.common.config()
        let gateway = try GatewayClient.connect(client, config: config)
        _ = try await Login.authenticate(gateway, options: client, config: config)
        let modelName = try await chosenModel(gateway)
        let text = try readPrompt()

        var params: JSONObject = ["model": .string(modelName), "messages": [["role": "user", "content": .string(text)]]]
        if let m = maxTokens { params["max_tokens"] = .int(m) }
        let id = gateway.reserveID()
        let printed = PrintedText()
        gateway.onNotification { method, p in
            guard method == "llm/chat/completions/chunk", p["request_id"]?.intValue == id,
                  let content = p["delta"]?["content"]?.stringValue, !content.isEmpty else { return }
            Out.stdout(content)
            printed.add(content)
        }
        // Ctrl-C: the first cancels the request (its answer still comes, with the usage so far);
        // a second one quits.
        let interrupts = InterruptWatcher { count in
            if count == 1 {
                gateway.notify("$/cancelRequest", ["id": .int(id)])
            } else {
                Out.stderr("\n")
                Glibc.exit(130)
            }
        }
        defer { interrupts.stop() }

        do {
            let result = try await gateway.call("llm/chat/completions/stream", .object(params), id: id)
            if printed.needsNewline { Out.stdout("\n") }
            Out.stderr(CostLine.render(result) + "\n")
            gateway.finish()
            if result["finish_reason"]?.stringValue == "cancelled" { throw ExitCode(130) }
        } catch let e as RPCCallError {
            if printed.needsNewline { Out.stdout("\n") }
            if let usage = e.data?["usage"], (usage["input_tokens"]?.intValue ?? 0) + (usage["output_tokens"]?.intValue ?? 0) > 0 {
                Out.stderr("[\(modelName) · failed · \(CostLine.tokens(usage, estimated: false))]\n")
            }
            gateway.finish()
            throw CLIError(ChatCommand.explain(e, model: modelName))
        }
    }

    /// --model, else LLMRPC_MODEL, else the first model this user can use.
    func chosenModel(_ gateway: GatewayClient) async throws -> String {
        if let m = model ?? ProcessInfo.processInfo.environment["LLMRPC_MODEL"], !m.isEmpty { return m }
        let list = try await gateway.call("llmModels/list", ["is_active": true])
        guard let first = list["data"]?.arrayValue?.first?["model_name"]?.stringValue else {
            throw CLIError("no model is available to you: store a provider key (users/me/apiKey/update) or ask an admin to set a system key; `llmrpc doctor` shows which providers have keys")
        }
        return first
    }

    /// The arguments joined with spaces, else all of stdin without its final line break.
    func readPrompt() throws -> String {
        if !prompt.isEmpty { return prompt.joined(separator: " ") }
        if isatty(0) != 0 { Out.stderr("Type your prompt, then Ctrl-D on a new line:\n") }
        var text = String(decoding: readToEnd(fd: 0), as: UTF8.self)
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        guard !text.trimmingWhitespaceAndNewlines().isEmpty else {
            throw CLIError("the prompt is empty: give it as arguments or on stdin")
        }
        return text
    }

    /// An error response as a sentence with what to do about it.
    static func explain(_ e: RPCCallError, model: String) -> String {
        switch e.type {
        case "missing_api_key":
            return "\(e.message) — store your key with users/me/apiKey/update, or ask an admin for a system key"
        case "model_not_found", "model_inactive":
            return "\(e.message) — `llmrpc models` lists the models you can use"
        case "rate_limited", "upstream_rate_limited":
            let wait = e.data?["retry_after_ms"]?.intValue.map { " (retry in \(($0 + 999) / 1000) s)" } ?? ""
            return "\(e.message)\(wait)"
        default:
            let upstream = e.data?["upstream_message"]?.stringValue.map { ": \($0)" } ?? ""
            return "\(model): \(e.message)\(upstream)"
        }
    }
}

/// Whether the streamed text needs a final line break (the chunk handler and the command
/// run on different threads).
final class PrintedText: Sendable {
    private let last = Mutex<Character?>(nil)
    func add(_ s: String) { if let c = s.last { last.withLock { $0 = c } } }
    var needsNewline: Bool { last.withLock { $0 != nil && $0 != "\n" } }
}

/// SIGINT as a callback with the count so far, instead of the default of dying.
///
/// A plain handler writes one byte to a pipe (all a signal handler may safely do) and a thread
/// reads it. (A `DispatchSource` with SIGINT ignored is not reliable on Linux: libdispatch's
/// signalfd sees only signals that are blocked, and an ignored unblocked signal is discarded.)
final class InterruptWatcher: @unchecked Sendable {
    private let readFD: Int32
    private let writeFD: Int32

    init(_ handler: @escaping @Sendable (Int) -> Void) {
        var fds: [Int32] = [-1, -1]
        _ = pipe(&fds)
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        (readFD, writeFD) = (fds[0], fds[1])
        interruptPipeWriteFD = writeFD
        Threads.start { [readFD] in
            // This thread takes the signal even if every other one blocks it (a process started
            // from a thread that blocked SIGINT, as libdispatch's workers do, inherits that mask).
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGINT)
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
            var count = 0
            var byte: UInt8 = 0
            while true {
                let n = read(readFD, &byte, 1)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                count += 1
                handler(count)
            }
            close(readFD)
        }
        signal(SIGINT, { _ in
            var b: UInt8 = 1
            _ = write(interruptPipeWriteFD, &b, 1)
        })
    }

    /// Back to the default (Ctrl-C ends the process); the reader thread ends.
    func stop() {
        signal(SIGINT, SIG_DFL)
        interruptPipeWriteFD = -1
        close(writeFD)
    }
}

/// Where the SIGINT handler writes (a C function pointer cannot capture it).
nonisolated(unsafe) private var interruptPipeWriteFD: Int32 = -1

/// The line on stderr after an answer: model, tokens, exact cost.
enum CostLine {
    /// `[gpt-4o · 11 in / 6 out tokens · $0.0000875]`, with "cancelled" (or another finish reason
    /// than stop) after the model and "unpriced" for a model without prices.
    static func render(_ result: JSONValue) -> String {
        var parts = [result["model"]?.stringValue ?? "?"]
        if let finish = result["finish_reason"]?.stringValue, finish != "stop" {
            parts.append(finish == "length" ? "cut off at the token limit" : finish)
        }
        if let usage = result["usage"] {
            parts.append(tokens(usage, estimated: result["usage_estimated"]?.boolValue == true))
        }
        parts.append(cost(result["cost"]))
        return "[" + parts.joined(separator: " · ") + "]"
    }

    /// "11 in / 6 out tokens", with cached input and "(estimated)" when there are.
    static func tokens(_ usage: JSONValue, estimated: Bool) -> String {
        let input = usage["input_tokens"]?.intValue ?? 0
        let cached = (usage["cache_read_input_tokens"]?.intValue ?? 0) + (usage["cache_creation_input_tokens"]?.intValue ?? 0)
        let output = usage["output_tokens"]?.intValue ?? 0
        let inText = cached > 0 ? "\(input) in + \(cached) cached" : "\(input) in"
        return "\(inText) / \(output) out tokens" + (estimated ? " (estimated)" : "")
    }

    /// The total exactly as the server computed it (decimal text), or "unpriced".
    static func cost(_ cost: JSONValue?) -> String {
        guard cost?["priced"]?.boolValue == true, let total = cost?["total_cost"]?.numberValue else { return "unpriced" }
        return "$" + total.text
    }
}
