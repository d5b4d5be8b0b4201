import FakeProvider
import Testing

@Suite struct OpenAIFakeTests {
    static let prefix = #"data: {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini","choices":["#

    static func chunk(_ delta: String, finish: String = "null", usageNull: Bool) -> String {
        prefix + #"{"index":0,"delta":"# + delta + #","logprobs":null,"finish_reason":"# + finish + "}]" + (usageNull ? #","usage":null"# : "") + "}\n\n"
    }

    static func deltas(usageNull: Bool) -> [String] {
        [
            chunk(#"{"role":"assistant","content":"","refusal":null}"#, usageNull: usageNull),
            chunk(#"{"content":"Hello"}"#, usageNull: usageNull),
            chunk(#"{"content":" there"}"#, usageNull: usageNull),
            chunk(#"{"content":"!"}"#, usageNull: usageNull),
            chunk("{}", finish: #""stop""#, usageNull: usageNull),
        ]
    }

    @Test func streamWithoutIncludeUsageHasNoUsageThenDone() async throws {
        try await withFakeServer { server in
            let response = try await exchange(port: server.port, path: "/v1/chat/completions", headers: openAIHeaders,
                                              body: #"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}"#)
            #expect(response.status == 200)
            #expect(response.header("content-type") == "text/event-stream; charset=utf-8")
            #expect(response.chunkTexts == Self.deltas(usageNull: false) + ["data: [DONE]\n\n"])
        }
    }

    @Test func streamWithIncludeUsageAddsTheEmptyChoicesUsageChunk() async throws {
        try await withFakeServer { server in
            server.enqueue(.text(chunks: ["Hello", " there", "!"], usage: FakeUsage(input: 11, output: 6, cacheRead: 4, cacheWrite: 2, reasoning: 3)), for: .openai)
            let response = try await exchange(port: server.port, path: "/v1/chat/completions", headers: openAIHeaders,
                                              body: #"{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[]}"#)
            let usage = Self.prefix + #"],"usage":{"prompt_tokens":17,"completion_tokens":6,"total_tokens":23,"prompt_tokens_details":{"cached_tokens":4,"cache_write_tokens":2},"completion_tokens_details":{"reasoning_tokens":3}}}"# + "\n\n"
            #expect(response.chunkTexts == Self.deltas(usageNull: true) + [usage, "data: [DONE]\n\n"])
        }
    }

    @Test func nonStreamingCompletion() async throws {
        try await withFakeServer { server in
            let response = try await exchange(port: server.port, path: "/v1/chat/completions", headers: openAIHeaders,
                                              body: #"{"model":"gpt-5.4","messages":[]}"#)
            #expect(response.status == 200)
            #expect(response.text == #"{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,"model":"gpt-5.4","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there!","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":6,"total_tokens":17,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}},"service_tier":"default"}"#)
        }
    }

    @Test func authFailures() async throws {
        try await withFakeServer(acceptedKeys: ["sk-good"]) { server in
            let bad = try await exchange(port: server.port, path: "/v1/chat/completions",
                                         headers: [("authorization", "Bearer sk-bad")], body: "{}")
            #expect(bad.status == 401)
            #expect(bad.text == #"{"error":{"message":"Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#)
            #expect(!bad.text.contains("sk-bad"))

            let missing = try await exchange(port: server.port, path: "/v1/chat/completions", headers: [], body: "{}")
            #expect(missing.status == 401)
            #expect(missing.text.hasSuffix(#""type":"invalid_request_error","param":null,"code":null}}"#))
        }
    }

    @Test func rateLimitQuotaOverloadAndMidStreamError() async throws {
        try await withFakeServer { server in
            server.enqueue(.rateLimited(retryAfterSeconds: 2), for: .openai)
            server.enqueue(.insufficientQuota, for: .openai)
            server.enqueue(.overloaded, for: .openai)
            server.enqueue(.errorMidStream(afterChunks: ["Hel"], usage: FakeUsage(input: 1, output: 1)), for: .openai)
            let body = #"{"model":"gpt-4o-mini","stream":true}"#

            let limited = try await exchange(port: server.port, path: "/v1/chat/completions", headers: openAIHeaders, body: body)
            #expect(limited.status == 429)
            #expect(limited.header("retry-after") == "2")
            #expect(limited.header("x-ratelimit-limit-requests") == "60")
            #expect(limited.header("x-ratelimit-remaining-requests") == "0")
            #expect(limited.header("x-ratelimit-reset-requests") == "2s")
            #expect(limited.header("x-ratelimit-reset-tokens") == "6m0s")
            #expect(limited.text == #"{"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#)

            let quota = try await exchange(port: server.port, path: "/v1/chat/completions", headers: openAIHeaders, body: body)
            #expect(quota.status == 429)
            #expect(quota.header("retry-after") == nil)
            #expect(quota.text.hasSuffix(#""type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#))

            let overloaded = try await exchange(port: server.port, path: "/v1/chat/completions", headers: openAIHeaders, body: body)
            #expect(overloaded.status == 503)

            let midStream = try await exchange(port: server.port, path: "/v1/chat/completions", headers: openAIHeaders, body: body)
            #expect(midStream.status == 200)
            #expect(midStream.chunkTexts.count == 3)
            #expect(midStream.chunkTexts.last == "data: {\"error\":{\"message\":\"The server had an error while processing your request. Sorry about that!\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n")
        }
    }

    @Test func toolCallDeltasAreKeyedByIndex() async throws {
        try await withFakeServer { server in
            server.enqueue(.toolCall(id: "call_1", name: "f", argumentsChunks: [#"{"a""#, ":1}"], usage: FakeUsage(input: 1, output: 2)), for: .openai)
            let response = try await exchange(port: server.port, path: "/v1/chat/completions", headers: openAIHeaders,
                                              body: #"{"model":"gpt-4o-mini","stream":true}"#)
            #expect(response.chunkTexts.count == 6)
            #expect(response.chunkTexts[1] == Self.chunk(#"{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]}"#, usageNull: false))
            #expect(response.chunkTexts[2] == Self.chunk(#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\""}}]}"#, usageNull: false))
            #expect(response.chunkTexts[4] == Self.chunk("{}", finish: #""tool_calls""#, usageNull: false))
        }
    }
}
