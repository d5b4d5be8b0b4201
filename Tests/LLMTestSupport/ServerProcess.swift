import Foundation
import LLMJSON
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The data dirs `ServerProcess.makeDataDir` made in this process.
private let madeDataDirs = Mutex<[String]>([])

/// Removes them at exit (registered once, with the first).
private let removeDataDirsAtExit: Void = {
    atexit {
        for dir in madeDataDirs.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: dir) }
    }
}()

/// A real `llmrpc` subprocess on a fresh data directory.
public final class ServerProcess: @unchecked Sendable {
    public let process: ChildProcess
    public let dataDir: String
    /// stderr, line by line (log lines are not JSON: they are kept as raw lines).
    public let logs: LineClient
    public let client: LineClient?
    private let stdinHandle: FileHandle?
    /// With `holdStderr`: the read end of the server's stderr, which nothing reads until a
    /// test does.
    public let heldStderr: FileHandle?

    public static let adminEmail = "admin@example.com"
    public static let adminPassword = "admin-password-1"

    /// Where `swift build` put the `llmrpc` executable.
    public static var binary: String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("llmrpc").path,
            packageRoot.appendingPathComponent(".build/debug/llmrpc").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }

    /// The package's root directory (for schemas/, examples/, ../shared/).
    public static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// A new data dir under the temporary directory, removed when the test process exits
    /// (several servers of one test may use it in turn, so no one server owns it).
    public static func makeDataDir() -> String {
        let dir = NSTemporaryDirectory() + "llmrpc-test-" + UUID().uuidString.prefix(8).lowercased()
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        _ = removeDataDirsAtExit
        madeDataDirs.withLock { $0.append(dir) }
        return dir
    }

    /// The environment of a test server: its own data dir, a first superuser, no outside keys.
    public static func environment(dataDir: String, extra: [String: String]) -> [String: String] {
        var env: [String: String] = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": dataDir,
            "LLMRPC_DATA_DIR": dataDir,
            "FIRST_SUPERUSER": adminEmail,
            "FIRST_SUPERUSER_PASSWORD": adminPassword,
            "LLMRPC_LOG_LEVEL": "info",
            // Upstreams that can't be reached unless a test points them at its fake.
            "ANTHROPIC_BASE_URL": "http://127.0.0.1:9", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
            "GOOGLE_BASE_URL": "http://127.0.0.1:9",
        ]
        for (k, v) in extra { env[k] = v }
        return env
    }

    /// Starts `llmrpc ARGS`; with `stdio` the client talks to its stdin/stdout. With
    /// `holdStderr`, stderr is a pipe nobody reads (`heldStderr`; `logs` sees nothing), as a
    /// client that forgot to read it would leave it.
    public init(args: [String] = ["serve"], env extra: [String: String] = [:], dataDir: String? = nil,
         stdinFile: String? = nil, stdio: Bool = true, holdStderr: Bool = false) throws {
        let dir = dataDir ?? Self.makeDataDir()
        self.dataDir = dir
        let err = try ChildProcess.pipe()
        if holdStderr {
            heldStderr = FileHandle(fileDescriptor: err.read, closeOnDealloc: true)
            logs = LineClient(readFD: open("/dev/null", O_RDONLY | O_CLOEXEC), writeFD: -1, closingAtEOF: true)  // at EOF at once
        } else {
            heldStderr = nil
            logs = LineClient(readFD: err.read, writeFD: -1, closingAtEOF: true)
        }
        var stdin = ChildProcess.Stream.null, stdout = ChildProcess.Stream.fd(err.write)
        if stdio {
            let out = try ChildProcess.pipe()
            stdout = .fd(out.write)
            if let f = stdinFile {
                stdin = .file(f)
                stdinHandle = nil
                client = LineClient(readFD: out.read, writeFD: -1, closingAtEOF: true)
            } else {
                let inp = try ChildProcess.pipe()
                stdin = .fd(inp.read)
                stdinHandle = FileHandle(fileDescriptor: inp.write, closeOnDealloc: true)
                client = LineClient(readFD: out.read, writeFD: inp.write, closingAtEOF: true)
            }
        } else {
            stdinHandle = nil
            client = nil
        }
        process = try ChildProcess(executable: Self.binary, arguments: args, environment: Self.environment(dataDir: dir, extra: extra),
                                   directory: dir, stdin: stdin, stdout: stdout, stderr: .fd(err.write))
    }

    public var rpc: LineClient { client! }

    /// Closes stdin (end of input).
    public func closeInput() { try? stdinHandle?.close() }

    public func terminate() { process.terminate() }
    public func kill9() { process.send(SIGKILL) }

    /// The exit status, once the process has ended and everything it wrote has been read.
    public func waitForExit() async -> Int32 {
        let status = await process.waitForExit()
        if let client { await client.waitForEOF() }
        await logs.waitForEOF()
        return status
    }

    public var stderrText: String { logs.lines.joined(separator: "\n") }

    /// Waits for a log line containing `text`.
    public func waitForLog(_ text: String) async throws {
        _ = try await logs.waitFor { v in
            if case .string(let s) = v { return s.contains(text) }
            return false
        }
    }

    /// Logs in as the first superuser on this session.
    public func loginAdmin() async throws -> String {
        try await rpc.login(Self.adminEmail, Self.adminPassword)
    }

    deinit { process.terminate() }
}

extension LineClient {
    @discardableResult
    public func login(_ email: String, _ password: String) async throws -> String {
        let r = try await result("login/accessToken", ["username": .string(email), "password": .string(password)])
        return r["access_token"]!.stringValue!
    }
}

/// A Unix-socket client connection.
public enum UnixSocket {
    public static func connect(path: String) throws -> LineClient {
        let fd = try connectRaw(path: path)
        return LineClient(readFD: fd, writeFD: fd)
    }

    /// A connected socket that nobody reads (for clients that stop reading).
    public static func connectRaw(path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else { close(fd); throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return fd
    }
}
