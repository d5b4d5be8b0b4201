import Foundation
import LLMJSON
import LLMTestSupport
import Testing

/// examples/shell/chat.sh (bash, socat, jq) against `llmrpc serve --socket` and the fake provider.
@Suite("Shell example", .enabled(if: Tools.has("bash") && Tools.has("socat") && Tools.has("jq"),
                                 "bash, socat or jq is not installed (scripts/test installs socat and jq)"),
       .timeLimit(.minutes(5)))
struct ShellExampleTests {
    static let script = Examples.path("shell/chat.sh")

    @Test("chat.sh logs in on one connection, chats, prints the answer and its exact cost")
    func chat() async throws {
        let setup = try await ExampleSetup.start()
        let (server, socket) = try await setup.socketServer()
        let run = try await ExampleProcess.run("bash", [Self.script, socket, "Say hello"], env: setup.env)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.outputLines == [
            "logged in as admin@example.com",
            "answer: Hello there!",
            "usage: 11 input + 6 output tokens",
            // jq reads 5.25e-06; the script prints it as the server wrote it.
            "cost: $0.00000525 (input $0.00000165, output $0.0000036, key system)",
        ])
        #expect(run.stderr == "")
        // One plain (non-streamed) request reached "OpenAI".
        #expect(setup.chatRequests.count == 1)
        let body = try JSONParser.parse(Array(setup.chatRequests.first?.body ?? []))
        #expect(body["messages"]?.arrayValue?.first?["content"] == "Say hello")
        #expect(body["stream"] == nil || body["stream"] == false)

        let admin = try UnixSocket.connect(path: socket)
        try await admin.login(ExampleSetup.email, ExampleSetup.password)
        let usage = try await admin.result("billing/usage/myUsage", ["days": 1])
        #expect(usage["total_requests"] == 1)
        #expect(usage["total_cost"]?.decimal == Decimal("0.00000525"))
        server.terminate()
        #expect(await server.waitForExit() == 0)
        await setup.shutdown()
    }

    @Test("chat.sh with a wrong password prints the error and exits 1")
    func wrongPassword() async throws {
        let setup = try await ExampleSetup.start()
        let (server, socket) = try await setup.socketServer()
        var env = setup.env
        env["LLMRPC_PASSWORD"] = "not-the-password"
        let run = try await ExampleProcess.run("bash", [Self.script, socket], env: env)
        #expect(run.status == 1)
        #expect(run.stdout == "")
        #expect(run.stderr.hasPrefix("error: 401 invalid_credentials: "))
        #expect(setup.chatRequests.isEmpty)
        server.terminate()
        #expect(await server.waitForExit() == 0)
        await setup.shutdown()
    }
}
