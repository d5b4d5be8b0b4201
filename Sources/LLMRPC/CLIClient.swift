import Threading
import ArgumentParser
import FoundationEssentials
import LLMDomain
import LLMJSON
import LLMServer
#if canImport(Glibc)
import Glibc
#endif

// The client side of the commands for people (`chat`, `models list`): they speak JSON-RPC to the
// gateway itself, exactly as an editor would, so they see what every other client sees.

/// Options of the commands that talk to the gateway as a client.
struct ClientOptions: ParsableArguments {
    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: ArgumentHelp(
        "Use the running server on this Unix socket (bare --socket: the default path) instead of starting a private one.",
        valueName: "path"))
    var socket: String?

    @Option(name: .long, help: "Log in as this user when no saved token is valid (LLMRPC_EMAIL; else asked).")
    var email: String?
}

/// A failure the user can act on, printed by ArgumentParser as `Error: <description>`.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A JSON-RPC error response.
struct RPCCallError: Error, CustomStringConvertible {
    let code: Int
    let message: String
    let data: JSONValue?
    var type: String { data?["type"]?.stringValue ?? "" }
    var description: String { type.isEmpty ? "\(message) (\(code))" : "\(message) (\(code) \(type))" }
}

/// Unbuffered writes to the terminal: streamed text must appear as it arrives.
enum Out {
    static func stdout(_ s: String) { writeAll(1, s) }
    static func stderr(_ s: String) { writeAll(2, s) }

    static func writeAll(_ fd: Int32, _ s: String) {
        let bytes = Array(s.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                // The reader went away (`llmrpc chat … | head`): stop quietly, like other tools.
                if errno == EPIPE { exit(141) }
                return
            }
            off += n
        }
    }
}

/// Everything `fd` holds until end of input (what FileHandle's readDataToEndOfFile did).
func readToEnd(fd: Int32) -> [UInt8] {
    var out = [UInt8]()
    var buf = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return out }
        out.append(contentsOf: buf[0..<n])
    }
}

/// One JSON-RPC connection to the gateway: a private `llmrpc serve` child on pipes, or a Unix
/// socket. A reader thread matches responses to requests by id and hands notifications to
/// `onNotification` in the order they arrive (so every chunk is handled before its response).
final class GatewayClient: @unchecked Sendable {
    private let readFD: Int32
    private let writeFD: Int32
    private let childPID: pid_t?
    private let lock = PosixLock()
    /// Held while a line is written, so lines never interleave (apart from `lock`, which the
    /// reader needs while a write may block).
    private let writeLock = PosixLock()
    private var pending: [Int: CheckedContinuation<JSONValue, Error>] = [:]
    private var nextID = 0
    private var closed = false
    private var notificationHandler: ((String, JSONValue) -> Void)?

    private init(readFD: Int32, writeFD: Int32, childPID: pid_t?) {
        self.readFD = readFD
        self.writeFD = writeFD
        self.childPID = childPID
        Threads.start { [self] in readLoop() }
    }

    /// Connects as the options say: `--socket` to a running server, else a private child.
    static func connect(_ options: ClientOptions, config: ServerConfig) throws -> GatewayClient {
        signal(SIGPIPE, SIG_IGN)  // a peer that went away is an error to report, not a silent death
        if let s = options.socket {
            return try connectSocket(path: s == "-" ? SocketServer.defaultPath(config: config) : s)
        }
        return try spawnServer(options.common)
    }

    /// Starts `llmrpc serve --stdio` (this same executable) with the same configuration flags.
    /// The child inherits stderr, so its warnings and start-up errors reach the user, and runs in
    /// its own process group, so a Ctrl-C at the terminal reaches only this client (which then
    /// cancels the request; the server records what was used).
    static func spawnServer(_ common: CommonOptions) throws -> GatewayClient {
        var args = ["serve", "--stdio", "--log-level", common.logLevel ?? "warning"]
        if let f = common.envFile { args += ["--env-file", f] }
        if let d = common.dataDir { args += ["--data-dir", d] }
        if let d = common.database { args += ["--database", d] }
        let exe = executablePath()

        var toChild: [Int32] = [-1, -1], fromChild: [Int32] = [-1, -1]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else {
            throw CLIError("cannot create pipes: \(String(cString: strerror(errno)))")
        }
        // Only the child's copies (dup2'd to 0 and 1) may survive exec.
        for fd in toChild + fromChild { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var defaults = sigset_t(), empty = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGPIPE)
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        // The environment is passed on, minus the password only this client needs.
        let env = ProcessInfo.processInfo.environment.filter { $0.key != "LLMRPC_PASSWORD" }.map { "\($0.key)=\($0.value)" }
        let argv = ([exe] + args).map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, &attr, argv, envp)
        close(toChild[0])
        close(fromChild[1])
        guard rc == 0 else {
            close(toChild[1]); close(fromChild[0])
            throw CLIError("cannot start \(exe) serve: \(String(cString: strerror(rc)))")
        }
        return GatewayClient(readFD: fromChild[0], writeFD: toChild[1], childPID: pid)
    }

    /// This program's own executable, to start the server from.
    static func executablePath() -> String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        if n > 0 { return String(cString: buf) }
        return CommandLine.arguments[0]
    }

    static func connectSocket(path: String) throws -> GatewayClient {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw CLIError("cannot create a socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            close(fd)
            throw CLIError("the socket path \(path) is too long")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else {
            let err = String(cString: strerror(errno))
            close(fd)
            throw CLIError("cannot connect to \(path): \(err) — start one with `llmrpc serve --socket \(path)`, or leave out --socket")
        }
        return GatewayClient(readFD: fd, writeFD: fd, childPID: nil)
    }

    /// Called on the reader thread with each notification's method and params.
    func onNotification(_ handler: ((String, JSONValue) -> Void)?) {
        lock.withLock { notificationHandler = handler }
    }

    /// Reserves the id of the next request (to cancel it later).
    func reserveID() -> Int { lock.withLock { nextID += 1; return nextID } }

    /// Sends a request and returns its result; an error response throws ``RPCCallError``.
    func call(_ method: String, _ params: JSONValue = [:], id: Int? = nil) async throws -> JSONValue {
        let rid = id ?? reserveID()
        let message: JSONValue = ["jsonrpc": "2.0", "id": .int(rid), "method": .string(method), "params": params]
        let response = try await withCheckedThrowingContinuation { (c: CheckedContinuation<JSONValue, Error>) in
            let isClosed = lock.withLock { () -> Bool in
                if closed { return true }
                pending[rid] = c
                return false
            }
            if isClosed { c.resume(throwing: Self.goneError); return }
            send(message)
        }
        if let e = response["error"] {
            throw RPCCallError(code: e["code"]?.intValue ?? 0, message: e["message"]?.stringValue ?? "error",
                               data: e["data"])
        }
        return response["result"] ?? .null
    }

    /// Sends a notification (no answer).
    func notify(_ method: String, _ params: JSONValue) {
        send(["jsonrpc": "2.0", "method": .string(method), "params": params])
    }

    private func send(_ message: JSONValue) {
        let bytes = JSONWriter.line(message)
        writeLock.lock()
        defer { writeLock.unlock() }
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(writeFD, $0.baseAddress! + off, $0.count - off) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }  // the reader sees the end and fails what is pending
            off += n
        }
    }

    static let goneError = CLIError("the gateway closed the connection (see the messages above)")

    private func readLoop() {
        var buf = [UInt8](repeating: 0, count: 65536)
        var line = [UInt8]()
        while true {
            let n = buf.withUnsafeMutableBytes { read(readFD, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            var start = 0
            for i in 0..<n where buf[i] == 0x0A {
                line.append(contentsOf: buf[start..<i])
                deliver(line)
                line.removeAll(keepingCapacity: true)
                start = i + 1
            }
            line.append(contentsOf: buf[start..<n])
        }
        let waiting = lock.withLock { () -> [CheckedContinuation<JSONValue, Error>] in
            closed = true
            let w = Array(pending.values)
            pending = [:]
            return w
        }
        for c in waiting { c.resume(throwing: Self.goneError) }
    }

    private func deliver(_ line: [UInt8]) {
        guard let message = try? JSONParser.parse(line) else { return }
        if let method = message["method"]?.stringValue {
            let handler = lock.withLock { notificationHandler }
            handler?(method, message["params"] ?? .null)
            return
        }
        guard let id = message["id"]?.intValue else { return }
        let c = lock.withLock { pending.removeValue(forKey: id) }
        c?.resume(returning: message)
    }

    /// Ends the session: closes our side and, for a private server, waits for it to exit.
    func finish() {
        if childPID == nil {
            shutdown(writeFD, Int32(SHUT_RDWR))
        } else {
            Glibc.close(writeFD)  // end of input: the child answers what is pending and exits 0
        }
        if let pid = childPID {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
    }
}

/// The saved access token: `<data dir>/token`, mode 0600, replaced atomically.
enum TokenStore {
    static func path(_ config: ServerConfig) -> String { "\(config.dataDir)/token" }

    static func read(_ config: ServerConfig) -> String? {
        guard let text = try? String(contentsOfFile: path(config), encoding: .utf8) else { return nil }
        let token = text.trimmingWhitespaceAndNewlines()
        return token.isEmpty ? nil : token
    }

    /// Writes a temporary file (0600, synced) next to the token and renames it over the old one.
    static func save(_ token: String, config: ServerConfig) throws {
        try FileManager.default.createDirectory(atPath: config.dataDir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let target = path(config)
        let temp = "\(target).tmp-\(getpid())"
        unlink(temp)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CLIError("cannot save the token in \(target): \(String(cString: strerror(errno)))") }
        let bytes = Array((token + "\n").utf8)
        let ok = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count && fsync(fd) == 0
        Glibc.close(fd)
        guard ok, rename(temp, target) == 0 else {
            unlink(temp)
            throw CLIError("cannot save the token in \(target): \(String(cString: strerror(errno)))")
        }
    }
}

/// Questions asked on the terminal (`/dev/tty`), so stdin stays free for the prompt.
enum TerminalPrompt {
    /// Asks a question; `secret` turns echo off. Nil when there is no terminal.
    static func ask(_ question: String, secret: Bool) -> String? {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        Out.writeAll(fd, question)
        var saved = termios()
        let haveTermios = tcgetattr(fd, &saved) == 0
        var restoreOnInterrupt: InterruptWatcher?
        if secret && haveTermios {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(fd, TCSANOW, &quiet)
            // Ctrl-C while echo is off must not leave the terminal silent.
            let original = saved
            restoreOnInterrupt = InterruptWatcher { _ in
                var s = original
                tcsetattr(fd, TCSANOW, &s)
                Out.writeAll(fd, "\n")
                exit(130)
            }
        }
        var answer = [UInt8]()
        var byte: UInt8 = 0
        while true {
            let n = read(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 || byte == 0x0A { break }
            answer.append(byte)
        }
        if secret && haveTermios {
            tcsetattr(fd, TCSANOW, &saved)
            Out.writeAll(fd, "\n")
            restoreOnInterrupt?.stop()
        }
        if answer.last == 0x0D { answer.removeLast() }
        return String(decoding: answer, as: UTF8.self)
    }
}

/// Logging in once: a saved token when it is still valid, else email and password.
enum Login {
    /// Makes the connection a user's session and returns the user (`users/me`).
    static func authenticate(_ client: GatewayClient, options: ClientOptions, config: ServerConfig) async throws -> JSONValue {
        let env = ProcessInfo.processInfo.environment
        let wantedEmail = options.email ?? env["LLMRPC_EMAIL"].flatMap { $0.isEmpty ? nil : $0 }
        if let token = config.accessToken ?? TokenStore.read(config) {
            do {
                let user = try await client.call("session/authenticate", ["access_token": .string(token)])
                if wantedEmail == nil || user["email"]?.stringValue?.lowercased() == wantedEmail?.lowercased() {
                    return user
                }
            } catch let e as RPCCallError where e.code == 401 {
                if e.type == "token_expired" { Out.stderr("Your saved session has expired; log in again.\n") }
            }
        }
        guard let email = wantedEmail ?? TerminalPrompt.ask("Email: ", secret: false), !email.isEmpty else {
            throw CLIError("not logged in and no terminal to ask on: give --email (or LLMRPC_EMAIL) and LLMRPC_PASSWORD")
        }
        let envPassword = env["LLMRPC_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        for attempt in 1...3 {
            guard let password = envPassword ?? TerminalPrompt.ask("Password for \(email): ", secret: true) else {
                throw CLIError("not logged in and no terminal to ask for the password: set LLMRPC_PASSWORD, or run this once at a terminal to save a token")
            }
            do {
                let r = try await client.call("login/accessToken", ["username": .string(email), "password": .string(password)])
                guard let token = r["access_token"]?.stringValue else { throw CLIError("the server returned no token") }
                try TokenStore.save(token, config: config)
                return try await client.call("users/me")
            } catch let e as RPCCallError where e.type == "invalid_credentials" && envPassword == nil && attempt < 3 {
                Out.stderr("Wrong email or password; try again.\n")
            } catch let e as RPCCallError where e.type == "invalid_credentials" {
                throw CLIError("wrong email or password for \(email)")
            }
        }
        throw CLIError("wrong email or password for \(email)")
    }
}
