import FakeProvider
import Foundation
import LLMJSON
import LLMTestSupport
import Testing

/// Provider faults end in a clear error with the usage consumed, never a hang; retries only
/// where the protocol allows them.
@Suite("Chat faults", .timeLimit(.minutes(5)))
struct ChatFaultTests {
    @Test("429 and 529 are retried before any output; the third answer succeeds")
    func retries() async throws {
        let h = try await ChatHarness.start()
        h.fake.enqueue(.rateLimited(retryAfterSeconds: 0), for: .anthropic)
        h.fake.enqueue(.overloaded, for: .anthropic)
        let r = try await h.admin.result("llm/chat/completions/stream", h.chatParams("claude-test"))
        #expect(r["message"]?["content"] == "Hello there!")
        #expect(h.fake.requests.count == 3)
        await h.shutdown()
    }

    @Test("a rate limit that persists answers 429 with retry_after_ms after two retries")
    func persistentRateLimit() async throws {
        let h = try await ChatHarness.start()
        for _ in 0..<3 { h.fake.enqueue(.rateLimited(retryAfterSeconds: 0), for: .openai) }
        let r = try await h.admin.call("llm/chat/completions", h.chatParams("gpt-test"))
        #expect(r["error"]?["code"] == 429)
        #expect(r["error"]?["data"]?["type"] == "upstream_rate_limited")
        #expect(r["error"]?["data"]?["retryable"] == true)
        #expect(r["error"]?["data"]?["retry_after_ms"] != nil)
        #expect(r["error"]?["data"]?["provider"] == "openai")
        #expect(h.fake.requests.count == 3)
        await h.shutdown()
    }

    @Test("insufficient_quota and a bad key are never retried")
    func noRetry() async throws {
        let h = try await ChatHarness.start(acceptedKeys: [ChatHarness.openAIKey, ChatHarness.googleKey])
        h.fake.enqueue(.insufficientQuota, for: .openai)
        let q = try await h.admin.call("llm/chat/completions", h.chatParams("gpt-test"))
        #expect(q["error"]?["code"] == 502)
        #expect(q["error"]?["data"]?["upstream_status"] == 429)
        #expect(h.fake.requests.count == 1)
        let bad = try await h.admin.call("llm/chat/completions", h.chatParams("claude-test"))
        #expect(bad["error"]?["code"] == 502)
        #expect(bad["error"]?["data"]?["type"] == "upstream_auth_failed")
        #expect(bad["error"]?["data"]?["upstream_status"] == 401)
        #expect(h.fake.requests.count == 2)
        let usage = try await h.admin.result("billing/usage/myUsage", ["days": 1])
        #expect(usage["total_requests"] == 2)
        #expect(usage["total_cost"]?.decimal == 0)
        await h.shutdown()
    }

    @Test("an error mid-stream answers 502 with the partial usage, and records it", arguments: ["claude-test", "gpt-test", "gemini-test"])
    func midStream(model: String) async throws {
        let h = try await ChatHarness.start()
        let kind: FakeProviderKind = model == "claude-test" ? .anthropic : model == "gpt-test" ? .openai : .google
        h.fake.enqueue(.errorMidStream(afterChunks: ["partial", " text"], usage: FakeUsage(input: 11, output: 3, cacheRead: 0, cacheWrite: 0, reasoning: 0)),
                       for: kind)
        let id = JSONValue.string("mid-\(model)")
        let r = try await h.admin.call("llm/chat/completions/stream", h.chatParams(model), id: id)
        let code = r["error"]?["code"]?.intValue
        #expect(code == 502 || code == 503)
        #expect(r["error"]?["data"]?["usage"]?["input_tokens"]?.intValue ?? 0 > 0)
        #expect(r["error"]?["data"]?["retryable"] == false)
        #expect(h.admin.notifications(requestID: id).count == 2)
        #expect(h.fake.requests.count == 1)
        let usage = try await h.admin.result("billing/usage/myUsage", ["days": 1])
        #expect(usage["total_requests"] == 1)
        #expect((usage["total_input_tokens"]?.intValue ?? 0) > 0)
        await h.shutdown()
    }

    @Test("a stream cut off before its usage answers 502 upstream_truncated with an estimate",
          arguments: ["claude-test", "gpt-test", "gemini-test"])
    func truncated(model: String) async throws {
        let h = try await ChatHarness.start()
        let kind: FakeProviderKind = model == "claude-test" ? .anthropic : model == "gpt-test" ? .openai : .google
        h.fake.enqueue(.dropBeforeUsage(afterChunks: ["Hello", " there"], usage: FakeUsage(input: 11, output: 6, cacheRead: 0, cacheWrite: 0, reasoning: 0)),
                       for: kind)
        let r = try await h.admin.call("llm/chat/completions/stream", h.chatParams(model))
        #expect(r["error"]?["code"] == 502)
        #expect(r["error"]?["data"]?["type"] == "upstream_truncated")
        #expect(r["error"]?["data"]?["usage_estimated"] == true)
        #expect((r["error"]?["data"]?["usage"]?["output_tokens"]?.intValue ?? 0) >= 1)
        await h.shutdown()
    }

    @Test("an unreachable provider answers 503; a hanging one 504 after the timeout")
    func unreachableAndHang() async throws {
        let h = try await ChatHarness.start(env: ["LLMRPC_UPSTREAM_TIMEOUT_S": "1"])
        h.fake.enqueue(.hang, for: .google)
        let hang = try await h.admin.call("llm/chat/completions", h.chatParams("gemini-test"))
        #expect(hang["error"]?["code"] == 504)
        #expect(hang["error"]?["data"]?["type"] == "upstream_timeout")
        await h.shutdown()

        let s = try ServerProcess(env: ["ANTHROPIC_API_KEY": "sk-ant-system-000000000001", "LLMRPC_RATE_LIMIT_RPM": "0"])
        _ = try await s.loginAdmin()
        let m = try await s.rpc.result("admin/llmModels/create", ["provider": "anthropic", "model_name": "claude-x",
                                                                  "input_price_per_million": 3, "output_price_per_million": 15])
        let r = try await s.rpc.call("llm/chat/completions", ["model_id": m["id"]!, "messages": [["role": "user", "content": "hi"]]])
        #expect(r["error"]?["code"] == 503)
        #expect(r["error"]?["data"]?["type"] == "upstream_unavailable")
        #expect(r["error"]?["data"]?["retryable"] == true)
    }

    @Test("a provider that trickles bytes forever (slow-loris) is cut at the total deadline, billed for what came")
    func slowLoris() async throws {
        let h = try await ChatHarness.start(env: ["LLMRPC_UPSTREAM_MAX_S": "2", "LLMRPC_UPSTREAM_TIMEOUT_S": "60"])
        h.fake.enqueue(.slowStream(chunks: Array(repeating: "drip ", count: 1000),
                                   usage: FakeUsage(input: 11, output: 1000, cacheRead: 0, cacheWrite: 0, reasoning: 0),
                                   chunkDelayMs: 200), for: .anthropic)
        let id = JSONValue.string("loris")
        let r = try await h.admin.call("llm/chat/completions/stream", h.chatParams("claude-test"), id: id)
        #expect(r["error"]?["code"] == 504)
        #expect(r["error"]?["data"]?["type"] == "upstream_timeout")
        #expect(r["error"]?["data"]?["retryable"] == false)
        #expect(r["error"]?["data"]?["usage"]?["input_tokens"] == 11)
        #expect((r["error"]?["data"]?["usage"]?["output_tokens"]?.intValue ?? 0) >= 1)
        #expect(!h.admin.notifications(requestID: id).isEmpty)
        await h.fake.waitForClientDisconnect(requestIndex: 0)
        await h.shutdown()
    }

    @Test("the server keeps serving other requests while a stream runs")
    func concurrency() async throws {
        let h = try await ChatHarness.start()
        // The stream's upstream never answers, so it is certainly still running when the other
        // request is answered (a slow stream with delays was a race on a busy machine).
        h.fake.enqueue(.hang, for: .anthropic)
        let id = JSONValue.string("slow")
        h.admin.send(["jsonrpc": "2.0", "id": id, "method": "llm/chat/completions/stream", "params": h.chatParams("claude-test")])
        await h.fake.waitForRequests(count: 1)
        let quick = try await h.admin.result("llm/chat/completions", h.chatParams("gpt-test"))
        #expect(quick["message"]?["content"] == "Hello there!")
        #expect(h.admin.messages.contains { $0["id"] == id } == false)
        h.admin.send(["jsonrpc": "2.0", "method": "$/cancelRequest", "params": ["id": id]])
        let slow = try await h.admin.response(id: id)
        #expect(slow["result"]?["finish_reason"] == "cancelled")
        await h.fake.waitForClientDisconnect(requestIndex: 0)
        await h.shutdown()
    }
}
