import Foundation
import LLMJSON
import LLMTestSupport
import Testing

/// examples/*.jsonl piped into `llmrpc serve`, with the environment the README documents
/// (FIRST_SUPERUSER=admin@example.com FIRST_SUPERUSER_PASSWORD=change-me-please) and an
/// OpenAI system key pointed at the fake provider.
@Suite("Transcripts", .timeLimit(.minutes(5)))
struct TranscriptTests {
    /// Runs `llmrpc serve < FILE` to the end; returns every response by id.
    static func replay(_ file: String, _ setup: ExampleSetup) async throws -> (responses: [Int: JSONValue], lines: [String]) {
        let server = try ServerProcess(env: setup.extra, dataDir: setup.dataDir, stdinFile: Examples.path(file))
        await server.rpc.waitForEOF()
        #expect(await server.waitForExit() == 0)
        var byID: [Int: JSONValue] = [:]
        for m in server.rpc.messages {
            let id = try #require(m["id"]?.intValue, "not a response: \(m)")
            #expect(byID[id] == nil, "two answers to \(id)")
            byID[id] = m
        }
        return (byID, server.rpc.lines)
    }

    /// The same status object for both transcripts: only the OpenAI system key exists.
    static let keyStatus: JSONValue = [
        "anthropic": ["has_user_key": false, "masked_key": .null, "has_system_key": false, "active_source": .null],
        "openai": ["has_user_key": false, "masked_key": .null, "has_system_key": true, "active_source": "system"],
        "google": ["has_user_key": false, "masked_key": .null, "has_system_key": false, "active_source": .null],
    ]

    @Test("session.jsonl: initialize, health, login as the first superuser, me, keys, models, usage")
    func session() async throws {
        let setup = try await ExampleSetup.start()
        let (r, lines) = try await Self.replay("session.jsonl", setup)
        #expect(r.keys.sorted() == [1, 2, 3, 4, 5, 6, 7])
        #expect(lines.count == 7)
        for (id, m) in r { #expect(m["error"] == nil, "\(id): \(m)") }

        #expect(r[1]?["result"]?["protocol_version"] == "1")
        #expect(r[1]?["result"]?["server_info"]?["name"] == "llmrpc")
        #expect(r[2]?["result"]?["status"] == "ok")
        #expect(r[2]?["result"]?["database"] == "ok")
        #expect(r[3]?["result"]?["token_type"] == "bearer")
        #expect(r[3]?["result"]?["access_token"]?.stringValue?.split(separator: ".").count == 3)
        #expect(r[4]?["result"]?["email"] == "admin@example.com")
        #expect(r[4]?["result"]?["is_superuser"] == true)
        #expect(r[4]?["result"]?["is_active"] == true)
        #expect(r[5]?["result"] == Self.keyStatus)

        let models = try #require(r[6]?["result"])
        let data = try #require(models["data"]?.arrayValue)
        #expect(models["count"]?.intValue == data.count)
        #expect(data.allSatisfy { $0["provider"] == "openai" && $0["key_source"] == "system" })
        let mini = try #require(data.first { $0["model_name"] == "gpt-4o-mini" })
        #expect(mini["input_price_per_million"]?.decimal == Decimal("0.15"))
        #expect(mini["output_price_per_million"]?.decimal == Decimal("0.6"))

        let usage = try #require(r[7]?["result"])
        #expect(usage["days"] == 30)
        #expect(usage["total_requests"] == 0)
        #expect(usage["total_cost"]?.decimal == 0)
        #expect(usage["by_model"] == [])
        #expect(setup.fake.requests.isEmpty)
        await setup.shutdown()
    }

    @Test("chat.jsonl: login, key status, a plain chat with gpt-4o-mini and its exact cost, usage")
    func chat() async throws {
        let setup = try await ExampleSetup.start()
        let (r, lines) = try await Self.replay("chat.jsonl", setup)
        #expect(r.keys.sorted() == [1, 2, 3, 4])
        #expect(lines.count == 4)
        for (id, m) in r { #expect(m["error"] == nil, "\(id): \(m)") }

        #expect(r[1]?["result"]?["token_type"] == "bearer")
        #expect(r[2]?["result"] == Self.keyStatus)

        let chat = try #require(r[3]?["result"])
        #expect(chat["model"] == "gpt-4o-mini")
        #expect(chat["provider"] == "openai")
        #expect(chat["message"]?["content"] == "Hello there!")
        #expect(chat["message"]?["role"] == "assistant")
        #expect(chat["finish_reason"] == "stop")
        #expect(chat["key_source"] == "system")
        #expect(chat["usage_estimated"] == false)
        #expect(chat["usage"] == ["input_tokens": 11, "output_tokens": 6, "cache_read_input_tokens": 0,
                                  "cache_creation_input_tokens": 0, "reasoning_tokens": 0, "total_tokens": 17])
        #expect(chat["cost"]?["input_cost"]?.decimal == Decimal("0.00000165"))
        #expect(chat["cost"]?["output_cost"]?.decimal == Decimal("0.0000036"))
        #expect(chat["cost"]?["total_cost"]?.decimal == Decimal("0.00000525"))
        #expect(chat["cost"]?["currency"] == "USD")
        #expect(chat["cost"]?["priced"] == true)
        // The raw line carries the exact decimals.
        #expect(lines.contains { $0.contains("\"id\":3,") && $0.contains("\"total_cost\":0.00000525") })

        // A transcript from a file runs in order: the usage report sees the chat before it.
        let usage = try #require(r[4]?["result"])
        #expect(usage["days"] == 1)
        #expect(usage["total_requests"] == 1)
        #expect(usage["total_input_tokens"] == 11)
        #expect(usage["total_output_tokens"] == 6)
        #expect(usage["total_cost"]?.decimal == Decimal("0.00000525"))

        // The request reached "OpenAI" with the system key.
        #expect(setup.chatRequests.count == 1)
        #expect(setup.chatRequests.first?.header("authorization") == "Bearer \(ExampleSetup.systemKey)")
        let body = try JSONParser.parse(Array(setup.chatRequests.first?.body ?? []))
        #expect(body["model"] == "gpt-4o-mini")
        #expect(body["messages"]?.arrayValue?.first?["content"] == "Hello")

        // Replayed again on the same data, the report includes at least the first run's chat.
        let (again, _) = try await Self.replay("chat.jsonl", setup)
        let later = try #require(again[4]?["result"])
        #expect((later["total_requests"]?.intValue ?? 0) >= 1)
        #expect(setup.chatRequests.count == 2)
        await setup.shutdown()
    }
}
