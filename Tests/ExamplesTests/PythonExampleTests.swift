import FakeProvider
import Foundation
import LLMJSON
import LLMTestSupport
import Testing

/// examples/python: demo.py (with llmrpc_client.py) against a real `llmrpc` and the fake provider.
@Suite("Python example", .enabled(if: Tools.has("python3"), "python3 is not installed"), .timeLimit(.minutes(5)))
struct PythonExampleTests {
    static let demo = Examples.path("python/demo.py")

    @Test("demo.py spawns llmrpc (LLMRPC_BIN), logs in, lists models, streams, prints exact cost and usage")
    func spawned() async throws {
        let setup = try await ExampleSetup.start()
        let run = try await ExampleProcess.run("python3", [Self.demo, "Say hello"], env: setup.env)
        #expect(run.status == 0, "stderr: \(run.stderr)")

        // What the server says, over the same data, after the demo's own llmrpc has exited.
        let check = try await setup.adminSession()
        let count = try await setup.modelCount(check.rpc)
        let usage = try await check.rpc.result("billing/usage/myUsage", ["days": 30])
        #expect(usage["total_requests"] == 1)
        #expect(usage["total_cost"]?.decimal == Decimal("0.00000525"))
        check.closeInput()
        #expect(await check.waitForExit() == 0)

        #expect(run.stdout.outputLines == [
            "logged in as admin@example.com",
            "\(count) models available",
            "model gpt-4o-mini (openai, key system): $0.15/M in, $0.6/M out",
            "Hello there!",
            "finish_reason: stop",
            "answer: Hello there!",
            "usage: 11 input + 6 output tokens",
            "cost: $0.00000525 (input $0.00000165, output $0.0000036, key system)",
            "my usage, last 30 days: 1 request, 11 input + 6 output tokens, $0.00000525",
            "  gpt-4o-mini: 1 request, $0.00000525",
        ])
        // One streamed request reached "OpenAI", with the system key and the prompt.
        let requests = setup.chatRequests
        #expect(requests.count == 1)
        #expect(requests.first?.header("authorization") == "Bearer \(ExampleSetup.systemKey)")
        let body = try JSONParser.parse(Array(requests.first?.body ?? []))
        #expect(body["stream"] == true)
        #expect(body["model"] == "gpt-4o-mini")
        #expect(body["messages"]?.arrayValue?.first?["content"] == "Say hello")
        // The key never appears in anything the example printed.
        #expect(!run.stdout.contains(ExampleSetup.systemKey) && !run.stderr.contains(ExampleSetup.systemKey))
        await setup.shutdown()
    }

    @Test("demo.py --socket prints each delta as it arrives")
    func liveOutput() async throws {
        let setup = try await ExampleSetup.start()
        let gate = FakeGate()
        setup.fake.enqueue(.held(chunks: ["Hello", " there", "!"], usage: FakeUsage(input: 11, output: 6),
                                 gate: gate, afterChunks: 1), for: .openai)
        let (server, socket) = try await setup.socketServer()
        let demo = try ExampleProcess("python3", [Self.demo, "--socket", socket], env: setup.env)
        // The first delta is on stdout while the provider holds the next one back: the output
        // as it was when "Hello" appeared (seen by the reader thread, not when this task runs).
        let atFirst = await demo.stdout.waitFor(text: "Hello")
        #expect(atFirst.hasSuffix("Hello"))
        #expect(!atFirst.contains("there"))
        gate.open()
        #expect(await demo.finish() == 0, "stderr: \(demo.stderr.text)")
        let lines = demo.stdout.text.outputLines
        #expect(lines.count == 10)
        #expect(lines.dropFirst(3).first == "Hello there!")
        #expect(lines.contains("cost: $0.00000525 (input $0.00000165, output $0.0000036, key system)"))
        server.terminate()
        #expect(await server.waitForExit() == 0)
        await setup.shutdown()
    }

    @Test("demo.py --cancel-after 1 sends $/cancelRequest; the answer is cancelled and billed as the server says")
    func cancelAfterOneChunk() async throws {
        let setup = try await ExampleSetup.start()
        setup.fake.enqueue(.held(chunks: ["Hello", " there", "!"], usage: FakeUsage(input: 11, output: 6),
                                 gate: FakeGate(), afterChunks: 1), for: .openai)
        let (server, socket) = try await setup.socketServer()
        let run = try await ExampleProcess.run("python3", [Self.demo, "--socket", socket, "--cancel-after", "1"],
                                               env: setup.env)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        // The upstream connection was closed at once.
        await setup.fake.waitForClientDisconnect(requestIndex: 0)

        // The recorded usage (estimated: OpenAI reports usage only at the end) is what the demo printed.
        let admin = try UnixSocket.connect(path: socket)
        try await admin.login(ExampleSetup.email, ExampleSetup.password)
        let count = try await setup.modelCount(admin)
        let usage = try await admin.result("billing/usage/myUsage", ["days": 30])
        #expect(usage["total_requests"] == 1)
        let input = try #require(usage["total_input_tokens"]?.intValue)
        let output = try #require(usage["total_output_tokens"]?.intValue)
        let total = try #require(usage["total_cost"]?.decimal)
        let inputCost = Decimal(input) * Decimal("0.15") / 1_000_000
        let outputCost = Decimal(output) * Decimal("0.6") / 1_000_000
        #expect(total == inputCost + outputCost)
        #expect(output >= 1)

        #expect(run.stdout.outputLines == [
            "logged in as admin@example.com",
            "\(count) models available",
            "model gpt-4o-mini (openai, key system): $0.15/M in, $0.6/M out",
            "Hello",
            "cancelled after 1 chunk",
            "finish_reason: cancelled",
            "answer: Hello",
            "usage: \(input) input + \(output) output tokens (estimated)",
            "cost: $\(plain(total)) (input $\(plain(inputCost)), output $\(plain(outputCost)), key system)",
            "my usage, last 30 days: 1 request, \(input) input + \(output) output tokens, $\(plain(total))",
            "  gpt-4o-mini: 1 request, $\(plain(total))",
        ])
        server.terminate()
        #expect(await server.waitForExit() == 0)
        await setup.shutdown()
    }

    @Test("demo.py --llmrpc PATH --password WRONG prints the error and exits 1")
    func wrongPassword() async throws {
        let setup = try await ExampleSetup.start()
        var env = setup.env
        env["LLMRPC_BIN"] = nil  // the flags win over the environment (LLMRPC_PASSWORD is the right one)
        let run = try await ExampleProcess.run(
            "python3", [Self.demo, "--llmrpc", ServerProcess.binary, "--password", "not-the-password"], env: env)
        #expect(run.status == 1)
        #expect(run.stdout == "")
        #expect(run.stderr.contains("error: 401 invalid_credentials: "))
        await setup.shutdown()
    }

    /// A decimal as plain text, the way the demo prints money (no exponent).
    func plain(_ d: Decimal) -> String { NSDecimalNumber(decimal: d).stringValue }
}
