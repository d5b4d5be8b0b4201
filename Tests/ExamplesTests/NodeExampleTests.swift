import Foundation
import LLMJSON
import LLMTestSupport
import Testing

/// examples/node/client.mjs (Node ≥ 18, no packages) against a real `llmrpc` and the fake provider.
@Suite("Node.js example", .enabled(if: Tools.has("node"), "node is not installed"), .timeLimit(.minutes(5)))
struct NodeExampleTests {
    static let client = Examples.path("node/client.mjs")

    static func expected(models: Int) -> [String] {
        [
            "logged in as admin@example.com",
            "\(models) models available",
            "model gpt-4o-mini (openai, key system): $0.15/M in, $0.6/M out",
            "Hello there!",
            "finish_reason: stop",
            "usage: 11 input + 6 output tokens",
            "cost: $0.00000525 (key system)",
        ]
    }

    @Test("client.mjs spawns llmrpc (LLMRPC_BIN): login, models, a streamed chat with its exact cost")
    func spawned() async throws {
        let setup = try await ExampleSetup.start()
        let run = try await ExampleProcess.run("node", [Self.client, "Say hello"], env: setup.env)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let check = try await setup.adminSession()
        let count = try await setup.modelCount(check.rpc)
        let usage = try await check.rpc.result("billing/usage/myUsage", ["days": 1])
        #expect(usage["total_requests"] == 1)
        #expect(usage["total_cost"]?.decimal == Decimal("0.00000525"))
        check.closeInput()
        #expect(await check.waitForExit() == 0)
        #expect(run.stdout.outputLines == Self.expected(models: count))
        let body = try JSONParser.parse(Array(setup.chatRequests.first?.body ?? []))
        #expect(setup.chatRequests.count == 1)
        #expect(body["stream"] == true)
        #expect(body["messages"]?.arrayValue?.first?["content"] == "Say hello")
        await setup.shutdown()
    }

    @Test("client.mjs --socket talks to a running server")
    func overSocket() async throws {
        let setup = try await ExampleSetup.start()
        let (server, socket) = try await setup.socketServer()
        let run = try await ExampleProcess.run("node", [Self.client, "--socket", socket], env: setup.env)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let admin = try UnixSocket.connect(path: socket)
        try await admin.login(ExampleSetup.email, ExampleSetup.password)
        let count = try await setup.modelCount(admin)
        #expect(run.stdout.outputLines == Self.expected(models: count))
        server.terminate()
        #expect(await server.waitForExit() == 0)
        await setup.shutdown()
    }

    @Test("client.mjs --llmrpc PATH --password WRONG prints the error and exits 1")
    func wrongPassword() async throws {
        let setup = try await ExampleSetup.start()
        var env = setup.env
        env["LLMRPC_BIN"] = nil  // the flags win over the environment (LLMRPC_PASSWORD is the right one)
        let run = try await ExampleProcess.run(
            "node", [Self.client, "--llmrpc", ServerProcess.binary, "--password", "not-the-password"], env: env)
        #expect(run.status == 1)
        #expect(run.stdout == "")
        #expect(run.stderr.contains("error: 401 invalid_credentials: "))
        await setup.shutdown()
    }
}
