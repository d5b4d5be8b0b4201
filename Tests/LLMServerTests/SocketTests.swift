import FakeProvider
import Foundation
import LLMJSON
import LLMTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `llmrpc serve --socket PATH`: permissions, the lock, stale sockets, parallel sessions.
@Suite("Unix socket", .timeLimit(.minutes(5)))
struct SocketTests {
    static func start(dataDir: String? = nil, path: String? = nil) async throws -> (ServerProcess, String) {
        let dir = dataDir ?? ServerProcess.makeDataDir()
        let sock = path ?? dir + "/run/llmrpc.sock"
        let s = try ServerProcess(args: ["serve", "--socket", sock], env: ["LLMRPC_MAX_LINE_BYTES": "16384"],
                                  dataDir: dir, stdio: false)
        try await s.waitForLog("listening")
        return (s, sock)
    }

    @Test("directory 0700, socket 0600, parallel sessions each with their own user")
    func permissionsAndSessions() async throws {
        let (s, sock) = try await Self.start()
        var st = stat()
        #expect(stat(sock, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
        #expect(stat((sock as NSString).deletingLastPathComponent, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o700)

        let admin = try UnixSocket.connect(path: sock)
        try await admin.login(ServerProcess.adminEmail, ServerProcess.adminPassword)
        _ = try await admin.result("admin/users/create", ["email": "dan@example.com", "password": "dan-password"])
        let dan = try UnixSocket.connect(path: sock)
        try await dan.login("dan@example.com", "dan-password")
        let anon = try UnixSocket.connect(path: sock)

        async let a = admin.result("users/me")
        async let d = dan.result("users/me")
        async let n = anon.call("users/me")
        let (am, dm, nm) = try await (a, d, n)
        #expect(am["email"] == .string(ServerProcess.adminEmail))
        #expect(dm["email"] == "dan@example.com")
        #expect(nm["error"]?["code"] == 401)

        // Many requests in parallel on one connection, answered by id.
        let ids = (0..<50).map { JSONValue.int($0) }
        for id in ids { dan.send(["jsonrpc": "2.0", "id": id, "method": "server/health"]) }
        for id in ids { #expect(try await dan.response(id: id)["result"]?["status"] == "ok") }

        // A client that vanishes mid-request does not disturb the others.
        anon.sendRaw("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"login/accessToken\",\"params\":{\"username\":\"x@y.z\",\"password\":\"whatever1\"}}\n")
        anon.disconnect()
        #expect(try await admin.result("server/health")["status"] == "ok")

        s.terminate()
        #expect(await s.waitForExit() == 0)
        #expect(!FileManager.default.fileExists(atPath: sock))
    }

    @Test("a second server on the same path refuses; a stale socket is recovered")
    func lockAndStale() async throws {
        let (s, sock) = try await Self.start()
        let second = try ServerProcess(args: ["serve", "--socket", sock], dataDir: s.dataDir, stdio: false)
        #expect(await second.waitForExit() != 0)
        #expect(second.stderrText.contains("already listening"))
        // The first is still serving.
        let c = try UnixSocket.connect(path: sock)
        #expect(try await c.result("server/health")["status"] == "ok")

        // kill -9 leaves the socket file behind; the next server detects it is stale.
        s.kill9()
        _ = await s.waitForExit()
        #expect(FileManager.default.fileExists(atPath: sock))
        let (t, _) = try await Self.start(dataDir: s.dataDir, path: sock)
        let c2 = try UnixSocket.connect(path: sock)
        #expect(try await c2.result("server/health")["status"] == "ok")
        t.terminate()
        _ = await t.waitForExit()
    }

    @Test("a client that disconnects mid-stream: the upstream request is cancelled and its usage recorded")
    func disconnectMidStream() async throws {
        let h = try await ChatHarness.start()
        let sock = h.server.dataDir + "/run/s.sock"
        let env = ["ANTHROPIC_BASE_URL": h.fake.anthropicBaseURL, "LLMRPC_RATE_LIMIT_RPM": "0"]
        let s = try ServerProcess(args: ["serve", "--socket", sock], env: env, dataDir: h.server.dataDir, stdio: false)
        try await s.waitForLog("listening")
        h.fake.enqueue(.held(chunks: ["one", " two", " three", " four"],
                             usage: FakeUsage(input: 11, output: 9, cacheRead: 0, cacheWrite: 0, reasoning: 0),
                             gate: FakeGate(), afterChunks: 1), for: .anthropic)
        let c = try UnixSocket.connect(path: sock)
        try await c.login(ServerProcess.adminEmail, ServerProcess.adminPassword)
        c.send(["jsonrpc": "2.0", "id": "gone", "method": "llm/chat/completions/stream", "params": h.chatParams("claude-test")])
        _ = try await c.waitFor { $0["params"]?["request_id"] == "gone" }
        c.disconnect()
        await h.fake.waitForClientDisconnect(requestIndex: h.fake.requests.count - 1)
        // The server logs each settled chat; another session then sees it recorded.
        try await s.waitForLog("status=cancelled")
        let recorded = try await h.admin.result("billing/usage/myUsage", ["days": 1])
        #expect(recorded["by_status"]?["cancelled"] == 1)
        #expect(recorded["total_requests"] == 1)
        #expect(recorded["total_input_tokens"] == 11)
        s.terminate()
        _ = await s.waitForExit()
        await h.shutdown()
    }

    @Test("a client that stops reading: the server stays up for others, and the stream is ended and billed when it leaves")
    func clientStopsReading() async throws {
        let h = try await ChatHarness.start()
        let sock = h.server.dataDir + "/run/r.sock"
        let env = ["ANTHROPIC_BASE_URL": h.fake.anthropicBaseURL, "LLMRPC_RATE_LIMIT_RPM": "0",
                   "LLMRPC_MAX_UNSENT_BYTES": "65536"]
        let s = try ServerProcess(args: ["serve", "--socket", sock], env: env, dataDir: h.server.dataDir, stdio: false)
        try await s.waitForLog("listening")
        // About 12 MB of answer, far more than the socket and the 64 KiB output bound can hold.
        h.fake.enqueue(.text(chunks: Array(repeating: String(repeating: "x", count: 4000), count: 3000),
                             usage: FakeUsage(input: 11, output: 3000, cacheRead: 0, cacheWrite: 0, reasoning: 0),
                             chunkDelayMs: 1), for: .anthropic)
        let fd = try UnixSocket.connectRaw(path: sock)
        let login = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"login/accessToken\",\"params\":{\"username\":\"\(ServerProcess.adminEmail)\",\"password\":\"\(ServerProcess.adminPassword)\"}}\n"
        let chat = JSONWriter.string(["jsonrpc": "2.0", "id": 2, "method": "llm/chat/completions/stream",
                                      "params": h.chatParams("claude-test")]) + "\n"
        let bytes = Array((login + chat).utf8)
        #expect(write(fd, bytes, bytes.count) == bytes.count)
        await h.fake.waitForRequests(count: 1)
        // Read until the stream's first chunk notification has arrived; nothing more is read after it.
        var seen = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: seen, as: UTF8.self).contains("llm/chat/completions/chunk") {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { break }
            seen += buf[0..<n]
        }
        // Another client is served meanwhile.
        let other = try UnixSocket.connect(path: sock)
        #expect(try await other.result("server/health")["status"] == "ok")
        close(fd)
        try await s.waitForLog("status=cancelled")
        await h.fake.waitForClientDisconnect(requestIndex: 0)
        let usage = try await h.admin.result("billing/usage/myUsage", ["days": 1])
        #expect(usage["by_status"]?["cancelled"] == 1)
        #expect(usage["total_requests"] == 1)
        #expect(usage["total_input_tokens"] == 11)
        // Provider usage from the stream's start, plus an estimate of the text that was received.
        #expect((usage["total_output_tokens"]?.intValue ?? 0) > 0)
        s.terminate()
        _ = await s.waitForExit()
        await h.shutdown()
    }

    @Test("a peer with another uid is refused even when the file modes would let it in",
          .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
                       && FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"),
                   "needs root, setpriv and /usr/bin/python3 to connect as another user"))
    func otherUserRefused() async throws {
        let dir = ServerProcess.makeDataDir()
        chmod(dir, 0o755)
        let (s, sock) = try await Self.start(dataDir: dir)
        // Open the door on purpose: only the SO_PEERCRED check is left to refuse.
        chmod((sock as NSString).deletingLastPathComponent, 0o755)
        chmod(sock, 0o666)
        let out = try ChildProcess.pipe()
        let reader = LineClient(readFD: out.read, writeFD: -1)
        let client = try ChildProcess(executable: "/usr/bin/setpriv", arguments: [
            "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", """
            import socket, sys
            c = socket.socket(socket.AF_UNIX); c.connect(sys.argv[1])
            try:
                c.sendall(b'{"jsonrpc":"2.0","id":1,"method":"server/health"}\\n')
                data = c.recv(4096)
            except OSError:
                data = b''
            print('answered' if data else 'closed')
            """, sock],
            environment: ["PATH": "/usr/bin:/bin"], stdout: .fd(out.write))
        await reader.waitForEOF()
        _ = await client.waitForExit()
        #expect(reader.lines == ["closed"])
        if reader.lines == ["closed"] { try await s.waitForLog("refused a connection from another user") }
        // The owner is still served.
        let mine = try UnixSocket.connect(path: sock)
        #expect(try await mine.result("server/health")["status"] == "ok")
        s.terminate()
        _ = await s.waitForExit()
    }

    @Test("bad input on a socket gets the same answers as on stdio")
    func badInput() async throws {
        let (s, sock) = try await Self.start()
        let c = try UnixSocket.connect(path: sock)
        c.sendRaw("{not json\n[]\n{\"jsonrpc\":\"2.0\",\"id\":9}\n")
        let parse = try await c.waitFor { $0["error"]?["code"] == -32700 }
        #expect(parse["id"] == .null)
        let nine = try await c.response(id: 9)
        #expect(nine["error"]?["code"] == -32600)
        c.sendRaw("[{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"server/health\"},{\"jsonrpc\":\"2.0\",\"id\":\"b\",\"method\":\"nope\"}]\n")
        let batch = try await c.waitFor { $0.arrayValue?.count == 2 }
        #expect(batch.arrayValue?[1]["error"]?["code"] == -32601)
        // An over-long line, invalid UTF-8, deep nesting and 100 garbage lines; then a valid request.
        c.sendRaw(String(repeating: "y", count: 20_000) + "\n")
        let long = try await c.waitFor { $0["error"]?["data"]?["type"] == "line_too_long" }
        #expect(long["id"] == .null)
        c.sendBytes(Array("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"x\",\"params\":{\"s\":\"".utf8) + [0xFF, 0xFE] + Array("\"}}\n".utf8))
        _ = try await c.waitFor { $0["error"]?["message"]?.stringValue?.contains("UTF-8") == true }
        c.sendRaw(String(repeating: "{\"a\":", count: 1000) + "1" + String(repeating: "}", count: 1000) + "\n")
        _ = try await c.waitFor { $0["error"]?["message"]?.stringValue?.contains("nesting") == true }
        c.sendRaw(String(repeating: "garbage }{ ][\n", count: 100))
        let alive = try await c.call("server/health", nil, id: "after-garbage")
        #expect(alive["result"]?["status"] == "ok")
        #expect(c.messages.filter { $0["error"]?["code"] == -32700 }.count >= 102)
        s.terminate()
        _ = await s.waitForExit()
    }
}
