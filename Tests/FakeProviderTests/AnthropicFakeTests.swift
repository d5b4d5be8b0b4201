import FakeProvider
import Testing

@Suite struct AnthropicFakeTests {
    static let basicResponseEvents = [
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-3-opus-latest\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":11,\"output_tokens\":1}}}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: ping\ndata: {\"type\": \"ping\"}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" there\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"!\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":6}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    ]

    @Test func defaultStreamReplaysTheBasicResponseFixtureOneEventPerChunk() async throws {
        try await withFakeServer { server in
            let response = try await exchange(port: server.port, path: "/v1/messages", headers: anthropicHeaders,
                                              body: #"{"model":"claude-3-opus-latest","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Hi"}]}"#)
            #expect(response.status == 200)
            #expect(response.header("content-type") == "text/event-stream; charset=utf-8")
            #expect(response.header("transfer-encoding") == "chunked")
            #expect(response.chunkTexts == Self.basicResponseEvents)
        }
    }

    @Test func defaultNonStreamingMessage() async throws {
        try await withFakeServer { server in
            let response = try await exchange(port: server.port, path: "/v1/messages", headers: anthropicHeaders,
                                              body: #"{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[]}"#)
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/json")
            #expect(response.text == #"{"id":"msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Hello there!"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":11,"output_tokens":6}}"#)
        }
    }

    @Test func cacheUsageUsesNativeNonOverlappingFields() async throws {
        try await withFakeServer { server in
            server.enqueue(.text(chunks: ["A", "B"], usage: FakeUsage(input: 5, output: 9, cacheRead: 100, cacheWrite: 20), finish: .length), for: .anthropic)
            let response = try await exchange(port: server.port, path: "/v1/messages", headers: anthropicHeaders,
                                              body: #"{"model":"m","max_tokens":10,"stream":true}"#)
            #expect(response.chunkTexts.first?.contains(#""usage":{"input_tokens":5,"cache_creation_input_tokens":20,"cache_read_input_tokens":100,"output_tokens":1}"#) == true)
            #expect(response.chunkTexts.dropLast().last == "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":9}}\n\n")
        }
    }

    @Test func authFailuresAndMissingMaxTokens() async throws {
        try await withFakeServer(acceptedKeys: ["sk-ant-good"]) { server in
            let body = #"{"model":"m","max_tokens":10}"#

            let badKey = try await exchange(port: server.port, path: "/v1/messages",
                                            headers: [("x-api-key", "sk-ant-bad"), ("anthropic-version", "2023-06-01")], body: body)
            #expect(badKey.status == 401)
            #expect(badKey.text == #"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}"#)

            let noKey = try await exchange(port: server.port, path: "/v1/messages", headers: [("anthropic-version", "2023-06-01")], body: body)
            #expect(noKey.status == 401)
            #expect(noKey.text.contains(#""type":"authentication_error""#))

            let noVersion = try await exchange(port: server.port, path: "/v1/messages", headers: [("x-api-key", "sk-ant-good")], body: body)
            #expect(noVersion.status == 400)
            #expect(noVersion.text == #"{"type":"error","error":{"type":"invalid_request_error","message":"anthropic-version: header is required"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}"#)

            let noMaxTokens = try await exchange(port: server.port, path: "/v1/messages", headers: anthropicHeaders, body: #"{"model":"m"}"#)
            #expect(noMaxTokens.status == 400)
            #expect(noMaxTokens.text == #"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}"#)
        }
    }

    @Test func rateLimitedOverloadedAndMidStreamError() async throws {
        try await withFakeServer { server in
            server.enqueue(.rateLimited(retryAfterSeconds: 7), for: .anthropic)
            server.enqueue(.overloaded, for: .anthropic)
            server.enqueue(.errorMidStream(afterChunks: ["Hel"], usage: FakeUsage(input: 3, output: 2)), for: .anthropic)
            let body = #"{"model":"m","max_tokens":10,"stream":true}"#

            let limited = try await exchange(port: server.port, path: "/v1/messages", headers: anthropicHeaders, body: body)
            #expect(limited.status == 429)
            #expect(limited.header("retry-after") == "7")
            #expect(limited.header("anthropic-ratelimit-requests-remaining") == "0")
            #expect(limited.header("anthropic-ratelimit-requests-reset")?.hasSuffix("Z") == true)
            #expect(limited.header("anthropic-ratelimit-tokens-limit") != nil)
            #expect(limited.text.hasPrefix(#"{"type":"error","error":{"type":"rate_limit_error","message":"#))

            let overloaded = try await exchange(port: server.port, path: "/v1/messages", headers: anthropicHeaders, body: body)
            #expect(overloaded.status == 529)
            #expect(overloaded.text == #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}"#)

            let midStream = try await exchange(port: server.port, path: "/v1/messages", headers: anthropicHeaders, body: body)
            #expect(midStream.status == 200)
            #expect(midStream.truncated == false)
            #expect(midStream.chunkTexts.count == 5)
            #expect(midStream.chunkTexts.last == "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n")
        }
    }

    @Test func toolCallStreamsInputJSONDeltas() async throws {
        try await withFakeServer { server in
            server.enqueue(.toolCall(id: "toolu_1", name: "get_weather", argumentsChunks: [#"{"loc"#, #"ation": "Paris"}"#], usage: FakeUsage(input: 377, output: 65)), for: .anthropic)
            server.enqueue(.toolCall(id: "toolu_1", name: "get_weather", argumentsChunks: [#"{"loc"#, #"ation": "Paris"}"#], usage: FakeUsage(input: 377, output: 65)), for: .anthropic)
            let streamed = try await exchange(port: server.port, path: "/v1/messages", headers: anthropicHeaders,
                                              body: #"{"model":"m","max_tokens":10,"stream":true}"#)
            #expect(streamed.chunkTexts[1] == "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"get_weather\",\"input\":{}}}\n\n")
            #expect(streamed.chunkTexts[3] == "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n")
            #expect(streamed.chunkTexts[4] == "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"loc\"}}\n\n")
            #expect(streamed.text.contains(#""stop_reason":"tool_use""#))

            let whole = try await exchange(port: server.port, path: "/v1/messages", headers: anthropicHeaders, body: #"{"model":"m","max_tokens":10}"#)
            #expect(whole.text == #"{"id":"msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK","type":"message","role":"assistant","model":"m","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"location": "Paris"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":377,"output_tokens":65}}"#)
        }
    }

    @Test func reasoningStreamsAThinkingBlockBeforeTheText() async throws {
        try await withFakeServer { server in
            server.enqueue(.text(chunks: ["Hi"], usage: FakeUsage(input: 2, output: 8, reasoning: 5), reasoning: ["Let me", " think"]), for: .anthropic)
            let response = try await exchange(port: server.port, path: "/v1/messages", headers: anthropicHeaders,
                                              body: #"{"model":"m","max_tokens":10,"stream":true}"#)
            let events = response.chunkTexts.map { $0.split(separator: "\n").first.map(String.init) ?? "" }
            #expect(events == [
                "event: message_start", "event: content_block_start", "event: ping",
                "event: content_block_delta", "event: content_block_delta", "event: content_block_delta", "event: content_block_stop",
                "event: content_block_start", "event: content_block_delta", "event: content_block_stop",
                "event: message_delta", "event: message_stop",
            ])
            #expect(response.chunkTexts[1].contains(#""content_block":{"type":"thinking","thinking":"","signature":""}"#))
            #expect(response.chunkTexts[3].contains(#""delta":{"type":"thinking_delta","thinking":"Let me"}"#))
            #expect(response.chunkTexts[5].contains(#""delta":{"type":"signature_delta","signature":"#))
            #expect(response.chunkTexts[7].contains(#""index":1,"content_block":{"type":"text","text":""}"#))
            #expect(response.chunkTexts[10].contains(#""usage":{"output_tokens":8}"#))
        }
    }
}
