import FakeProvider
import Foundation
import LLMJSON
import LLMTestSupport
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Whether a command is on PATH (the examples need python3, node, bash, socat, jq).
enum Tools {
    static func has(_ name: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { dir in
            FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)")
        }
    }
}

/// Where the examples are.
enum Examples {
    static var dir: URL { ServerProcess.packageRoot.appendingPathComponent("examples") }
    static func path(_ relative: String) -> String { dir.appendingPathComponent(relative).path }
}

/// The world an example runs in: the fake provider on loopback, a fresh data dir, and the
/// environment that points `llmrpc` at both, with the first superuser the README documents
/// (admin@example.com / change-me-please) and an OpenAI system key. The same environment serves
/// the example itself (LLMRPC_BIN, LLMRPC_EMAIL, LLMRPC_PASSWORD).
struct ExampleSetup {
    static let email = "admin@example.com"
    static let password = "change-me-please"
    static let systemKey = "sk-proj-system-example-key-0001"

    let fake: FakeProviderServer
    let dataDir: String
    /// The variables added to `ServerProcess.environment(dataDir:extra:)`.
    let extra: [String: String]
    /// The full environment of the example process.
    var env: [String: String] { ServerProcess.environment(dataDir: dataDir, extra: extra) }

    static func start() async throws -> ExampleSetup {
        let fake = try await FakeProviderServer.start()
        let extra = [
            "ANTHROPIC_BASE_URL": fake.anthropicBaseURL, "OPENAI_BASE_URL": fake.openAIBaseURL,
            "GOOGLE_BASE_URL": fake.googleBaseURL,
            "OPENAI_API_KEY": systemKey,
            "FIRST_SUPERUSER_PASSWORD": password,
            "LLMRPC_RATE_LIMIT_RPM": "0",
            "LLMRPC_BIN": ServerProcess.binary,
            "LLMRPC_EMAIL": email, "LLMRPC_PASSWORD": password,
            "PYTHONDONTWRITEBYTECODE": "1",  // no __pycache__ left in examples/
        ]
        return ExampleSetup(fake: fake, dataDir: ServerProcess.makeDataDir(), extra: extra)
    }

    /// `llmrpc serve --socket PATH` on this data dir, once it listens.
    func socketServer() async throws -> (server: ServerProcess, path: String) {
        let path = dataDir + "/run/llmrpc.sock"
        let server = try ServerProcess(args: ["serve", "--socket", path], env: extra, dataDir: dataDir, stdio: false)
        try await server.waitForLog("listening")
        return (server, path)
    }

    /// An `llmrpc serve` on stdio over the same data, logged in as the admin: to check what an
    /// example did, or to learn what it should print.
    func adminSession() async throws -> ServerProcess {
        let server = try ServerProcess(env: extra, dataDir: dataDir)
        try await server.rpc.login(Self.email, Self.password)
        return server
    }

    /// How many models `llmModels/list` gives the admin (it depends on the shipped catalogue).
    func modelCount(_ client: LineClient) async throws -> Int {
        try #require(try await client.result("llmModels/list", ["is_active": true])["count"]?.intValue)
    }

    /// The fake's chat requests (what reached "OpenAI").
    var chatRequests: [RecordedRequest] { fake.requests.filter { $0.path == "/v1/chat/completions" } }

    func shutdown() async { try? await fake.shutdown() }
}

/// Everything a file descriptor yields, kept as it arrives, so a test can wait for text that an
/// example has printed while it is still running (live output), and for end of output.
final class OutputCapture: @unchecked Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var eof = false
        /// Each resumed with the output as it was when its predicate first held (on the reader
        /// thread, whenever the waiting task gets to run).
        var waiters: [(predicate: (String) -> Bool, cont: CheckedContinuation<String, Never>)] = []
    }
    private let state = Mutex(State())

    init(fd: Int32) {
        Thread { [self] in readLoop(fd) }.start()
    }

    private func readLoop(_ fd: Int32) {
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            let (ready, text) = state.withLock { s -> ([CheckedContinuation<String, Never>], String) in
                s.bytes.append(contentsOf: buf[0..<n])
                return Self.takeReady(&s)
            }
            for c in ready { c.resume(returning: text) }
        }
        close(fd)
        let (all, text) = state.withLock { s -> ([CheckedContinuation<String, Never>], String) in
            s.eof = true
            defer { s.waiters = [] }
            return (s.waiters.map(\.cont), String(decoding: s.bytes, as: UTF8.self))
        }
        for c in all { c.resume(returning: text) }
    }

    private static func takeReady(_ s: inout State) -> ([CheckedContinuation<String, Never>], String) {
        let text = String(decoding: s.bytes, as: UTF8.self)
        var ready: [CheckedContinuation<String, Never>] = []
        s.waiters.removeAll { w in
            if w.predicate(text) { ready.append(w.cont); return true }
            return false
        }
        return (ready, text)
    }

    var text: String { state.withLock { String(decoding: $0.bytes, as: UTF8.self) } }

    /// Returns once the output satisfies `predicate` (or at end of output), with the output as
    /// it was at that moment: later output does not show, however late this task runs.
    @discardableResult
    func waitFor(_ predicate: @escaping (String) -> Bool) async -> String {
        await withCheckedContinuation { (c: CheckedContinuation<String, Never>) in
            let now = state.withLock { s -> String? in
                let text = String(decoding: s.bytes, as: UTF8.self)
                if s.eof || predicate(text) { return text }
                s.waiters.append((predicate, c))
                return nil
            }
            if let now { c.resume(returning: now) }
        }
    }

    /// Returns once `text` has been printed (or at end of output), with the output then.
    @discardableResult
    func waitFor(text: String) async -> String { await waitFor { $0.contains(text) } }

    /// Returns at end of output.
    func waitForEOF() async { await waitFor { _ in false } }
}

/// An example program running as a subprocess, its stdout and stderr captured.
final class ExampleProcess: @unchecked Sendable {
    let process: ChildProcess
    let stdout: OutputCapture
    let stderr: OutputCapture

    /// Starts `command args` (looked up on PATH) with exactly this environment, stdin empty.
    init(_ command: String, _ args: [String], env: [String: String]) throws {
        let out = try ChildProcess.pipe(), err = try ChildProcess.pipe()
        // Only the child keeps the write ends, so end of output is the child's (and its children's) exit.
        stdout = OutputCapture(fd: out.read)
        stderr = OutputCapture(fd: err.read)
        process = try ChildProcess(command: command, arguments: args, environment: env, directory: ServerProcess.packageRoot.path,
                                   stdin: .null, stdout: .fd(out.write), stderr: .fd(err.write))
    }

    /// Waits for the exit and for the end of both outputs; returns the exit status.
    func finish() async -> Int32 {
        let status = await process.waitForExit()
        await stdout.waitForEOF()
        await stderr.waitForEOF()
        return status
    }

    /// Runs to the end.
    static func run(_ command: String, _ args: [String], env: [String: String]) async throws
        -> (status: Int32, stdout: String, stderr: String) {
        let p = try ExampleProcess(command, args, env: env)
        let status = await p.finish()
        return (status, p.stdout.text, p.stderr.text)
    }

    deinit { process.terminate() }
}

extension String {
    /// The lines of a program's output (the final newline ends the last line).
    var outputLines: [String] {
        var lines = components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}
