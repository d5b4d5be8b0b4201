import FakeProvider
import Foundation
import LLMJSON
import LLMTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `llmrpc chat`, `llmrpc models` and `llmrpc doctor` as real subprocesses: each CLI starts its
/// own `llmrpc serve` child on the harness's data dir; the fake provider runs in-process.
@Suite(.timeLimit(.minutes(5)))
struct CLITests {
    /// What a finished CLI run left: its exit status and everything it wrote.
    struct Run {
        var status: Int32
        var out: String
        var err: String
    }

    /// Runs `llmrpc ARGS` to the end on `dataDir`, with `stdin` (then end of input) as its input.
    static func run(_ args: [String], env: [String: String], dataDir: String, stdin: String = "") async throws -> Run {
        let input = try ChildProcess.pipe(), output = try ChildProcess.pipe(), errors = try ChildProcess.pipe()
        let p = try ChildProcess(executable: ServerProcess.binary, arguments: args,
                                 environment: ServerProcess.environment(dataDir: dataDir, extra: env), directory: dataDir,
                                 stdin: .fd(input.read), stdout: .fd(output.write), stderr: .fd(errors.write))
        let writer = FileHandle(fileDescriptor: input.write, closeOnDealloc: true)
        writer.write(Data(stdin.utf8))
        try writer.close()
        async let out = readToEnd(FileHandle(fileDescriptor: output.read, closeOnDealloc: true))
        async let err = readToEnd(FileHandle(fileDescriptor: errors.read, closeOnDealloc: true))
        let (o, e) = await (out, err)
        let status = await p.waitForExit()
        return Run(status: status, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
    }

    /// Reads to end of file on a thread of its own: a blocking read must not hold one of the
    /// few threads that every concurrently running test shares.
    static func readToEnd(_ handle: FileHandle) async -> Data {
        await withCheckedContinuation { c in
            Thread { c.resume(returning: handle.readDataToEndOfFile()) }.start()
        }
    }

    /// The environment of a CLI run against the harness: its fake provider, the admin's login.
    static func env(_ h: ChatHarness, password: Bool = true) -> [String: String] {
        var e = ["ANTHROPIC_BASE_URL": h.fake.anthropicBaseURL, "OPENAI_BASE_URL": h.fake.openAIBaseURL,
                 "GOOGLE_BASE_URL": h.fake.googleBaseURL, "LLMRPC_RATE_LIMIT_RPM": "0",
                 "LLMRPC_EMAIL": ServerProcess.adminEmail]
        if password { e["LLMRPC_PASSWORD"] = ServerProcess.adminPassword }
        return e
    }

    static func mode(_ path: String) -> mode_t? {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o777 : nil
    }

    @Test("chat streams the answer, prints its exact cost, saves the token 0600; a second run needs no password")
    func chatAndToken() async throws {
        let h = try await ChatHarness.start()
        let dir = h.server.dataDir
        let first = try await Self.run(["chat", "--model", "gpt-test", "Hello"], env: Self.env(h), dataDir: dir)
        #expect(first.status == 0, "\(first.err)")
        #expect(first.out == "Hello there!\n")
        // gpt-test: 11 × $2.50/M + 6 × $10/M = $0.0000875.
        #expect(first.err.contains("[gpt-test · 11 in / 6 out tokens · $0.0000875]\n"))
        #expect(h.fake.requests.last?.bodyString.contains("\"content\":\"Hello\"") == true)
        let tokenFile = dir + "/token"
        #expect(Self.mode(tokenFile) == 0o600)
        let token = try String(contentsOfFile: tokenFile, encoding: .utf8)
        #expect(token.hasPrefix("eyJ") && token.hasSuffix("\n"))

        let second = try await Self.run(["chat", "--model", "gpt-test", "Hello", "again"],
                                        env: Self.env(h, password: false), dataDir: dir)
        #expect(second.status == 0, "\(second.err)")
        #expect(second.out == "Hello there!\n")
        #expect(second.err == "[gpt-test · 11 in / 6 out tokens · $0.0000875]\n")
        #expect(h.fake.requests.last?.bodyString.contains("\"content\":\"Hello again\"") == true)
        // Both answers were recorded for the admin.
        let usage = try await h.admin.result("billing/usage/myUsage", ["days": 1])
        #expect(usage["total_requests"] == 2)
        #expect(usage["total_cost"]?.decimal == Decimal("0.000175"))
        await h.shutdown()
    }

    @Test("the prompt comes from stdin when none is given; LLMRPC_MODEL chooses the model")
    func promptFromStdin() async throws {
        let h = try await ChatHarness.start()
        var env = Self.env(h)
        env["LLMRPC_MODEL"] = "claude-test"
        let r = try await Self.run(["chat"], env: env, dataDir: h.server.dataDir, stdin: "What is 2+2?\nAnswer briefly.\n")
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == "Hello there!\n")
        // claude-test: 11 × $3/M + 6 × $15/M = $0.000123.
        #expect(r.err == "[claude-test · 11 in / 6 out tokens · $0.000123]\n")
        #expect(h.fake.requests.last?.provider == .anthropic)
        #expect(h.fake.requests.last?.bodyString.contains("What is 2+2?\\nAnswer briefly.\"") == true)

        let empty = try await Self.run(["chat"], env: env, dataDir: h.server.dataDir, stdin: "\n")
        #expect(empty.status == 1)
        #expect(empty.err.contains("the prompt is empty"))
        await h.shutdown()
    }

    @Test("Ctrl-C cancels the stream, prints the cost of what was used, records it, and exits 130")
    func interruptCancels() async throws {
        let h = try await ChatHarness.start()
        h.fake.enqueue(.held(chunks: ["first line\n", "second line\n", "third line\n", "fourth line\n", "fifth line\n"],
                             usage: FakeUsage(input: 11, output: 40), gate: FakeGate(), afterChunks: 1), for: .openai)
        let chat = try ServerProcess(args: ["chat", "--model", "gpt-test", "Tell me a story"], env: Self.env(h),
                                     dataDir: h.server.dataDir, stdio: true)
        _ = try await chat.rpc.waitFor { _ in true }  // the first streamed line reached the terminal
        chat.process.send(SIGINT)
        let status = await chat.waitForExit()
        await chat.rpc.waitForEOF()
        await chat.logs.waitForEOF()
        #expect(status == 130, "\(chat.stderrText)")
        #expect(chat.rpc.lines == ["first line"])

        // The cost line: "[gpt-test · cancelled · N in / M out tokens (estimated) · $C]": OpenAI reports usage
        // only at the end, so the server estimated it; C is exactly N × $2.50/M + M × $10/M.
        let line = try #require(chat.logs.lines.first { $0.hasPrefix("[gpt-test · cancelled · ") })
        let words = line.split(separator: " ")
        let inTokens = try #require(Int(words[words.firstIndex(of: "in")! - 1]))
        let outTokens = try #require(Int(words[words.firstIndex(of: "/")! + 1]))
        #expect(inTokens >= 1 && outTokens >= 1)
        let expected = Decimal(inTokens) * Decimal(string: "2.5")! / 1_000_000 + Decimal(outTokens) * 10 / 1_000_000
        #expect(line == "[gpt-test · cancelled · \(inTokens) in / \(outTokens) out tokens (estimated) · $\(expected)]")

        let usage = try await h.admin.result("billing/usage/myUsage", ["days": 1])
        #expect(usage["total_requests"] == 1)
        #expect(usage["total_input_tokens"]?.intValue == inTokens)
        #expect(usage["total_output_tokens"]?.intValue == outTokens)
        #expect(usage["total_cost"]?.decimal == expected)
        await h.shutdown()
    }

    @Test("a wrong password fails clearly and saves nothing; an unusable saved token means logging in again")
    func loginFailures() async throws {
        let h = try await ChatHarness.start()
        let dir = h.server.dataDir
        var env = Self.env(h)
        env["LLMRPC_PASSWORD"] = "not-the-password"
        let wrong = try await Self.run(["chat", "--model", "gpt-test", "Hi"], env: env, dataDir: dir)
        #expect(wrong.status == 1)
        #expect(wrong.err.contains("wrong email or password for admin@example.com"))
        #expect(wrong.out == "")
        #expect(!FileManager.default.fileExists(atPath: dir + "/token"))

        try "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged\n".write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        let again = try await Self.run(["chat", "--model", "gpt-test", "Hi"], env: Self.env(h), dataDir: dir)
        #expect(again.status == 0, "\(again.err)")
        #expect(again.out == "Hello there!\n")
        #expect(try String(contentsOfFile: dir + "/token", encoding: .utf8).hasSuffix(".forged\n") == false)
        #expect(Self.mode(dir + "/token") == 0o600)

        // Without a valid token, a password or a terminal there is no way in: a clear error.
        try "x\n".write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        let none = try await Self.run(["chat", "--model", "gpt-test", "Hi"], env: Self.env(h, password: false), dataDir: dir)
        #expect(none.status == 1)
        #expect(none.err.contains("LLMRPC_PASSWORD"))
        await h.shutdown()
    }

    @Test("models lists the models the user can use with their exact prices; --json gives the raw result")
    func models() async throws {
        let h = try await ChatHarness.start()
        let dir = h.server.dataDir
        let r = try await Self.run(["models"], env: Self.env(h), dataDir: dir)
        #expect(r.status == 0, "\(r.err)")
        func cells(_ line: Substring) -> String { line.split(separator: " ").joined(separator: " ") }
        let lines = r.out.split(separator: "\n")
        #expect(cells(lines[0]) == "provider model input $/M output $/M cached $/M context key")
        let rows = Set(lines.dropFirst().map(cells))
        #expect(rows.contains("anthropic claude-test 3 15 0.3 200000 user"))
        #expect(rows.contains("openai gpt-test 2.5 10 1.25 128000 user"))
        #expect(rows.contains("google gemini-test 1.25 10 0.125 1048576 user"))
        #expect(rows.contains("anthropic free-test unpriced unpriced unpriced 1000 user"))

        let list = try await Self.run(["models", "list", "--provider", "openai", "--json"], env: Self.env(h), dataDir: dir)
        #expect(list.status == 0, "\(list.err)")
        let json = try JSONParser.parse(Array(list.out.utf8))
        let data = try #require(json["data"]?.arrayValue)
        #expect(json["count"]?.intValue == data.count)
        #expect(data.allSatisfy { $0["provider"] == "openai" })
        let gpt = try #require(data.first { $0["model_name"] == "gpt-test" })
        #expect(gpt["input_price_per_million"]?.decimal == Decimal("2.5"))
        #expect(gpt["cached_input_price_per_million"]?.decimal == Decimal("1.25"))
        #expect(gpt["key_source"] == "user")
        await h.shutdown()
    }

    @Test("chat and models work against a running server with --socket")
    func overSocket() async throws {
        let h = try await ChatHarness.start()
        let socketPath = h.server.dataDir + "/test.sock"
        let server = try ServerProcess(args: ["serve", "--socket", socketPath], env: Self.env(h),
                                       dataDir: h.server.dataDir, stdio: false)
        try await server.waitForLog("listening")
        let r = try await Self.run(["chat", "--socket", socketPath, "--model", "gemini-test", "Hello"],
                                   env: Self.env(h), dataDir: h.server.dataDir)
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == "Hello there!\n")
        // gemini-test: 11 × $1.25/M + 6 × $10/M = $0.00007375.
        #expect(r.err == "[gemini-test · 11 in / 6 out tokens · $0.00007375]\n")
        let missing = try await Self.run(["models", "--socket", h.server.dataDir + "/nothing.sock"],
                                         env: Self.env(h), dataDir: h.server.dataDir)
        #expect(missing.status == 1)
        #expect(missing.err.contains("cannot connect to"))
        server.terminate()
        _ = await server.waitForExit()
        await h.shutdown()
    }

    @Test("doctor passes on a fresh data dir, never prints a key, and flags a secret file open to others")
    func doctor() async throws {
        let dir = ServerProcess.makeDataDir()
        chmod(dir, 0o700)  // as `llmrpc serve` creates it (the test helper's directory is 0755)
        let key = "sk-ant-api03-system-secret-key-7777"
        let server = try ServerProcess(env: ["ANTHROPIC_API_KEY": key], dataDir: dir)
        _ = try await server.loginAdmin()
        server.closeInput()
        #expect(await server.waitForExit() == 0)

        let ok = try await Self.run(["doctor"], env: ["ANTHROPIC_API_KEY": key], dataDir: dir)
        #expect(ok.status == 0, "\(ok.out)")
        let lines = ok.out.split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { $0.hasPrefix("ok ") || $0 == "No problems found." }, "\(ok.out)")
        #expect(lines.last == "No problems found.")
        #expect(lines.contains("ok       token signing key \(dir)/secret_key: mode 600"))
        #expect(lines.contains("ok       encryption key \(dir)/encryption_key: mode 600"))
        #expect(lines.contains("ok       data dir \(dir): mode 700"))
        #expect(lines.contains { $0.hasPrefix("ok       database \(dir)/llmrpc.sqlite3: answers; 1 user(s), ") })
        #expect(lines.contains("ok       anthropic: system key from ANTHROPIC_API_KEY (sk-ant-...7777)"))
        #expect(lines.contains("ok       openai: no system key; users need their own (users/me/apiKey/update), or set OPENAI_API_KEY"))
        #expect(!ok.out.contains(key))

        chmod(dir + "/secret_key", 0o644)
        let bad = try await Self.run(["doctor"], env: ["ANTHROPIC_API_KEY": key], dataDir: dir)
        #expect(bad.status == 1)
        #expect(bad.out.contains(
            "problem: token signing key \(dir)/secret_key is open to other users (mode 644) — fix: chmod 600 \(dir)/secret_key\n"))
        #expect(bad.out.hasSuffix("1 problem(s) found.\n"))
        #expect(!bad.out.contains(key))
    }

    @Test("every command for people has a clear --help")
    func help() async throws {
        let dir = ServerProcess.makeDataDir()
        for (args, phrase) in [(["chat", "--help"], "Ctrl-C cancels the answer"),
                               (["models", "--help"], "List the models you can use"),
                               (["models", "list", "--help"], "USD per million tokens"),
                               (["doctor", "--help"], "exits 1 if there was any"),
                               (["--help"], "chat")] {
            let r = try await Self.run(args, env: [:], dataDir: dir)
            #expect(r.status == 0, "\(args)")
            let text = r.out.split(whereSeparator: \.isWhitespace).joined(separator: " ")  // unwrapped
            #expect(text.contains(phrase), "\(args): \(r.out)")
        }
    }
}
