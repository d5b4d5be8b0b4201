import FakeProvider
import Foundation
import LLMJSON
import LLMServer
import LLMTestSupport
import Testing

/// PROTOCOL.md §3.9 and §3.11, budgets: reports that match independently computed totals,
/// conversations that belong to their owner, and spend limits that hold under concurrency.
@Suite("Usage, conversations and budgets", .timeLimit(.minutes(5)))
struct UsageTests {
    @Test("reports: totals, by model, by day and by user, exact, and only the caller's own")
    func reports() async throws {
        let h = try await ChatHarness.start()
        _ = try await h.admin.result("admin/users/create", ["email": "u2@example.com", "password": "u2-password"])
        let u2 = try ServerProcess(env: ["ANTHROPIC_BASE_URL": h.fake.anthropicBaseURL, "OPENAI_BASE_URL": h.fake.openAIBaseURL,
                                         "LLMRPC_RATE_LIMIT_RPM": "0"], dataDir: h.server.dataDir)
        try await u2.rpc.login("u2@example.com", "u2-password")
        _ = try await u2.rpc.result("users/me/apiKey/update", ["openai_api_key": "sk-proj-u2-key-00000001"])

        // Admin: 2 × claude-test (11 in, 6 out at $3/$15), 1 × gpt-test (11/6 at $2.50/$10), 1 failed (quota).
        _ = try await h.admin.result("llm/chat/completions", h.chatParams("claude-test"))
        _ = try await h.admin.result("llm/chat/completions/stream", h.chatParams("claude-test"))
        _ = try await h.admin.result("llm/chat/completions", h.chatParams("gpt-test"))
        h.fake.enqueue(.insufficientQuota, for: .openai)
        _ = try await h.admin.call("llm/chat/completions", h.chatParams("gpt-test"))
        // u2: 3 × gpt-test with 100 in / 20 out.
        for _ in 0..<3 {
            h.fake.enqueue(.text(chunks: ["ok"], usage: FakeUsage(input: 100, output: 20, cacheRead: 0, cacheWrite: 0, reasoning: 0)), for: .openai)
            _ = try await u2.rpc.result("llm/chat/completions", ["model": "gpt-test", "messages": [["role": "user", "content": "hi"]]])
        }

        let mine = try await h.admin.result("billing/usage/myUsage", [:])
        #expect(mine["days"] == 30)
        #expect(mine["total_requests"] == 4)
        #expect(mine["total_input_tokens"] == 33)
        #expect(mine["total_output_tokens"] == 18)
        // 2 × 0.000123 + 0.0000875 + 0 (failed)
        #expect(mine["total_cost"]?.decimal == Decimal("0.0003335"))
        let byModel = mine["by_model"]?.arrayValue ?? []
        let claude = byModel.first { $0["model_name"] == "claude-test" }
        #expect(claude?["requests"] == 2)
        #expect(claude?["total_cost"]?.decimal == Decimal("0.000246"))
        #expect(claude?["provider"] == "anthropic")
        let gpt = byModel.first { $0["model_name"] == "gpt-test" }
        #expect(gpt?["requests"] == 2)
        #expect(gpt?["total_cost"]?.decimal == Decimal("0.0000875"))
        let today = String(Timestamps.isoDate(Date()))
        #expect(mine["by_day"]?.arrayValue?.map { $0["date"] } == [.string(today)])
        #expect(mine["by_day"]?.arrayValue?.first?["requests"] == 4)
        #expect(mine["by_user"] == nil)

        let theirs = try await u2.rpc.result("billing/usage/myUsage", ["days": 7])
        #expect(theirs["total_requests"] == 3)
        // 3 × (100 × 2.5 + 20 × 10) / 1e6 = 0.00135
        #expect(theirs["total_cost"]?.decimal == Decimal("0.00135"))

        let all = try await h.admin.result("billing/usage/allUsers", ["days": 1])
        #expect(all["total_requests"] == 7)
        #expect(all["total_cost"]?.decimal == Decimal("0.0016835"))
        let byUser = all["by_user"]?.arrayValue ?? []
        #expect(byUser.first { $0["email"] == "u2@example.com" }?["total_cost"]?.decimal == Decimal("0.00135"))
        #expect(byUser.first { $0["email"] == .string(ServerProcess.adminEmail) }?["requests"] == 4)
        let one = try await h.admin.result("billing/usage/allUsers", ["days": 1, "user_id": try await u2.rpc.result("users/me")["id"]!])
        #expect(one["total_requests"] == 3)
        let unknown = try await h.admin.call("billing/usage/allUsers", ["user_id": "00000000-0000-0000-0000-000000000000"])
        #expect(unknown["error"]?["code"] == 404)
        for bad: JSONValue in [0, 367, -1, "7", 2.5] {
            let r = try await h.admin.call("billing/usage/myUsage", ["days": bad])
            #expect(r["error"]?["code"] == -32602)
            #expect(r["error"]?["data"]?["field"] == "days")
        }
        // An empty period: zeros, not an error.
        let fresh = try await u2.rpc.result("billing/usage/myUsage", ["days": 1])
        #expect(fresh["total_requests"] == 3)

        // The CLI reads the same data.
        let cli = try ServerProcess(args: ["usage", "--days", "1", "--json"], dataDir: h.server.dataDir, stdinFile: "/dev/null")
        #expect(await cli.waitForExit() == 0)
        let cliReport = try JSONParser.parse(cli.rpc.lines.joined())
        #expect(cliReport["total_cost"]?.decimal == Decimal("0.0016835"))
        let table = try ServerProcess(args: ["usage", "--user", "u2@example.com"], dataDir: h.server.dataDir, stdinFile: "/dev/null")
        #expect(await table.waitForExit() == 0)
        let text = table.rpc.lines.joined(separator: "\n")
        #expect(text.contains("gpt-test"))
        #expect(text.contains("0.00135"))
        await h.shutdown()
    }

    @Test("a price change applies to later requests only")
    func priceChange() async throws {
        let h = try await ChatHarness.start()
        _ = try await h.admin.result("llm/chat/completions", h.chatParams("claude-test"))
        _ = try await h.admin.result("admin/llmModels/update", ["id": .string(h.modelIDs["claude-test"]!),
                                                                "input_price_per_million": 6, "output_price_per_million": 30])
        let after = try await h.admin.result("llm/chat/completions", h.chatParams("claude-test"))
        #expect(after["cost"]?["total_cost"]?.decimal == Decimal("0.000246"))
        let usage = try await h.admin.result("billing/usage/myUsage", ["days": 1])
        #expect(usage["total_cost"]?.decimal == Decimal("0.000369"))
        await h.shutdown()
    }

    @Test("conversations: continue with history, list, get, delete; another user's id is 404; usage stays")
    func conversations() async throws {
        let h = try await ChatHarness.start()
        let first = try await h.admin.result("llm/chat/completions", h.chatParams("gpt-test", "What is 2+2?"))
        let cid = first["conversation_id"]!
        let second = try await h.admin.result("llm/chat/completions", ["model": "gpt-test", "conversation_id": cid,
                                                                        "messages": [["role": "user", "content": "And 3+3?"]]])
        #expect(second["conversation_id"] == cid)
        // The provider received the stored history followed by the new message.
        let body = try JSONParser.parse(h.fake.requests.last!.body)
        let sent = body["messages"]?.arrayValue?.map { $0["content"] } ?? []
        #expect(sent == ["What is 2+2?", "Hello there!", "And 3+3?"])

        let list = try await h.admin.result("conversations/list", [:])
        #expect(list["count"] == 1)
        #expect(list["data"]?.arrayValue?.first?["title"] == "What is 2+2?")
        let conv = try await h.admin.result("conversations/get", ["id": cid])
        let msgs = conv["messages"]?.arrayValue ?? []
        #expect(msgs.map { $0["role"] } == ["user", "assistant", "user", "assistant"])
        #expect(msgs[1]["output_tokens"] == 6)
        #expect(msgs[0]["cost"] == .null)

        _ = try await h.admin.result("admin/users/create", ["email": "eve@example.com", "password": "eve-password"])
        let eve = try ServerProcess(dataDir: h.server.dataDir)
        try await eve.rpc.login("eve@example.com", "eve-password")
        let stolen = try await eve.rpc.call("conversations/get", ["id": cid])
        #expect(stolen["error"]?["code"] == 404)
        #expect(stolen["error"]?["data"]?["type"] == "conversation_not_found")
        let stolenDelete = try await eve.rpc.call("conversations/delete", ["id": cid])
        #expect(stolenDelete["error"]?["code"] == 404)
        _ = try await eve.rpc.result("users/me/apiKey/update", ["openai_api_key": "sk-proj-eve-000000000001"])
        let hijack = try await eve.rpc.call("llm/chat/completions", ["model": "gpt-test", "conversation_id": cid,
                                                                    "messages": [["role": "user", "content": "x"]]])
        #expect(hijack["error"]?["code"] == 404)

        #expect(try await h.admin.result("conversations/delete", ["id": cid]) == ["id": cid, "deleted": true])
        let gone = try await h.admin.call("conversations/get", ["id": cid])
        #expect(gone["error"]?["code"] == 404)
        let usage = try await h.admin.result("billing/usage/myUsage", ["days": 1])
        #expect(usage["total_requests"] == 2)
        let page = try await h.admin.call("conversations/list", ["skip": -1])
        #expect(page["error"]?["data"]?["field"] == "skip")
        await h.shutdown()
    }

    @Test("a monthly budget: concurrent requests cannot overspend; 402 with the remaining budget")
    func budget() async throws {
        let h = try await ChatHarness.start()
        let me = try await h.admin.result("users/me")
        // Worst case of one claude-test request: ~input estimate at $3.75/M (cache write, the highest input rate)
        // + 100 max_tokens at $15/M ≈ $0.0015. A budget of $0.004 admits two at a time, not three.
        _ = try await h.admin.result("admin/users/update", ["id": me["id"]!, "monthly_budget_usd": 0.004])
        let before = try await h.admin.result("users/me")
        #expect(before["monthly_budget_usd"]?.decimal == Decimal("0.004"))
        #expect(before["spent_this_month_usd"]?.decimal == 0)
        // Two streams held upstream (after their response heads) until the third is answered:
        // both reservations are committed before the third request is sent, and neither
        // stream can end (and release its reservation) before the third has been refused.
        let gate = FakeGate()
        for _ in 0..<2 {
            h.fake.enqueue(.held(chunks: ["a", "b"], usage: FakeUsage(input: 11, output: 6, cacheRead: 0, cacheWrite: 0, reasoning: 0),
                                 gate: gate), for: .anthropic)
        }
        let held: [JSONValue] = ["b1", "b2"]
        for id in held {
            h.admin.send(["jsonrpc": "2.0", "id": id, "method": "llm/chat/completions/stream", "params": h.chatParams("claude-test")])
        }
        await h.fake.waitForRequests(count: 2)
        h.admin.send(["jsonrpc": "2.0", "id": "b3", "method": "llm/chat/completions/stream", "params": h.chatParams("claude-test")])
        let third = try await h.admin.response(id: "b3")
        #expect(third["error"]?["code"] == 402)
        #expect(third["error"]?["data"]?["type"] == "budget_exceeded")
        #expect(third["error"]?["data"]?["remaining_usd"] != nil)
        #expect(h.fake.requests.count == 2, "the refused request never reached the provider")
        gate.open()
        for id in held {
            let r = try await h.admin.response(id: id)
            #expect(r["result"]?["message"]?["content"] == "ab", "\(r)")
        }
        let after = try await h.admin.result("users/me")
        #expect(after["spent_this_month_usd"]?.decimal == Decimal("0.000246"))
        #expect(after["reserved_usd"]?.decimal == 0)
        await h.shutdown()
    }
}
