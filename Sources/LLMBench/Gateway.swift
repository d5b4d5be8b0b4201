import Foundation
import LLMJSON
#if canImport(Glibc)
import Glibc
#endif

/// Where the bench finds `llmrpc`, and the environment it gives it.
struct GatewaySetup {
    let binary: String
    let dataDir: String
    let openAIBaseURL: String
    let pin: Bool

    static let adminEmail = "bench@example.com"
    static let adminPassword = "bench-password-1"
    static let systemKey = "sk-bench-system-key-0001"
    static let modelName = "bench-model"

    func environment(usageLogging: Bool, dataDir: String? = nil) -> [String: String] {
        let dir = dataDir ?? self.dataDir
        return [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": dir,
            "LLMRPC_DATA_DIR": dir,
            "FIRST_SUPERUSER": Self.adminEmail,
            "FIRST_SUPERUSER_PASSWORD": Self.adminPassword,
            "OPENAI_BASE_URL": openAIBaseURL,
            "OPENAI_API_KEY": Self.systemKey,
            "ANTHROPIC_BASE_URL": "http://127.0.0.1:9", "GOOGLE_BASE_URL": "http://127.0.0.1:9",
            "LLMRPC_RATE_LIMIT_RPM": "0",
            "LLMRPC_MAX_STREAMS_PER_USER": "100000",
            "LLMRPC_MAX_INFLIGHT": "100000",
            "LLMRPC_USAGE_LOGGING": usageLogging ? "on" : "off",
            "LLMRPC_LOG_LEVEL": "info",
        ]
    }
}

/// A running `llmrpc serve` subprocess (stdio or socket), with its stderr drained.
final class Gateway: @unchecked Sendable {
    let process: Process
    let label: String
    /// The stdio session (nil for a socket server).
    let stdio: RPCConn?
    let socketPath: String?
    private let stdinHandle: FileHandle?
    private let logCond = NSCondition()
    private var logText = ""
    private var logEOF = false

    var pid: Int32 { process.processIdentifier }

    init(setup: GatewaySetup, label: String, dataDir: String, socketPath: String?, usageLogging: Bool) throws {
        self.label = label
        self.socketPath = socketPath
        let p = Process()
        var args = ["serve"]
        if let socketPath { args += ["--socket", socketPath] }
        if setup.pin && Pinning.available {
            p.executableURL = URL(fileURLWithPath: Pinning.taskset)
            p.arguments = ["-c", "1", setup.binary] + args
        } else {
            p.executableURL = URL(fileURLWithPath: setup.binary)
            p.arguments = args
        }
        p.environment = setup.environment(usageLogging: usageLogging, dataDir: dataDir)
        p.currentDirectoryURL = URL(fileURLWithPath: dataDir)
        let err = Pipe()
        p.standardError = err
        if socketPath == nil {
            let out = Pipe(), inp = Pipe()
            p.standardOutput = out
            p.standardInput = inp
            stdinHandle = inp.fileHandleForWriting
            stdio = RPCConn(readFD: out.fileHandleForReading.fileDescriptor, writeFD: inp.fileHandleForWriting.fileDescriptor)
        } else {
            p.standardInput = FileHandle.nullDevice
            p.standardOutput = err
            stdinHandle = nil
            stdio = nil
        }
        process = p
        try p.run()
        let fd = err.fileHandleForReading.fileDescriptor
        let t = Thread { [self] in drainLogs(fd) }
        t.start()
    }

    private func drainLogs(_ fd: Int32) {
        var buf = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            let s = String(decoding: buf[0..<n], as: UTF8.self)
            logCond.withLock {
                if logText.count < 1 << 20 { logText += s }
                logCond.broadcast()
            }
        }
        logCond.withLock {
            logEOF = true
            logCond.broadcast()
        }
    }

    /// Blocks until stderr contains `text` (or the process ends / `timeout` passes).
    func waitForLog(_ text: String, timeout: Double = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        try logCond.withLock {
            while !logText.contains(text) {
                if logEOF { throw BenchError("\(label) ended before logging '\(text)':\n\(logText)") }
                if !logCond.wait(until: deadline) { throw BenchError("\(label): no '\(text)' in \(timeout) s:\n\(logText)") }
            }
        }
    }

    var logs: String { logCond.withLock { logText } }

    /// A new authenticated session: a socket connection, or the stdio session.
    func session(token: String) async throws -> RPCConn {
        let conn: RPCConn
        if let socketPath { conn = try RPCConn.unix(path: socketPath) } else { conn = stdio! }
        _ = try await conn.result("session/authenticate", ["access_token": .string(token)])
        return conn
    }

    /// Resident memory now.
    var rss: Int { ProcStats.rssBytes(pid: pid) ?? 0 }
    var cpuNs: UInt64 { ProcStats.cpuNs(pid: pid) ?? 0 }

    /// Ends the server: end of input for stdio, SIGTERM for a socket server; waits for exit.
    func stop() {
        if let stdinHandle { try? stdinHandle.close() } else if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

extension RPCConn {
    /// Logs in as the bench's superuser and returns the access token.
    func login() async throws -> String {
        let r = try await result("login/accessToken", ["username": .string(GatewaySetup.adminEmail),
                                                      "password": .string(GatewaySetup.adminPassword)])
        guard let t = r["access_token"]?.stringValue else { throw BenchError("login: no access_token") }
        return t
    }

    /// Adds the model the bench calls (an authenticated superuser's session).
    func createBenchModel() async throws {
        _ = try await result("admin/llmModels/create", [
            "provider": "openai", "model_name": .string(GatewaySetup.modelName),
            "input_price_per_million": 1, "output_price_per_million": 2,
            "context_window": 1_000_000, "max_output_tokens": 100_000,
        ])
    }
}
