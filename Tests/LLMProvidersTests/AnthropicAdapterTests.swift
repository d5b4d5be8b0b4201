import LLMDomain
import LLMJSON
import Testing
@testable import LLMProviders

@Suite struct AnthropicAdapterTests {
    let adapter = AnthropicAdapter()
    let key = SecretKey("sk-ant-api03-CANARYcanary0123456789-abcd")

    @Test func minimalRequest() throws {
        let r = try adapter.makeRequest(ChatRequest(model: "claude-sonnet-4-5", messages: [ChatMessage(role: .user, content: "Hello, world")]),
                                        apiKey: key, baseURL: "https://api.anthropic.com/", stream: false)
        #expect(r.url == "https://api.anthropic.com/v1/messages")
        #expect(r.method == "POST")
        #expect(r.headers.map { "\($0.0): \($0.1)" } == [
            "x-api-key: sk-ant-api03-CANARYcanary0123456789-abcd", "anthropic-version: 2023-06-01",
            "content-type: application/json", "Expect: ",
        ])
        #expect(try parsedBody(r) == [
            "model": "claude-sonnet-4-5", "max_tokens": 4096,
            "messages": [["role": "user", "content": "Hello, world"]],
        ])
    }

    @Test func fullConversationWithToolsStreaming() throws {
        let req = ChatRequest(
            model: "claude-sonnet-4-5",
            messages: [
                ChatMessage(role: .system, content: "You are terse."),
                ChatMessage(role: .system, content: "Answer in French."),
                ChatMessage(role: .user, content: "Weather in Paris and Rome?"),
                ChatMessage(role: .assistant, content: "Checking.", toolCalls: [
                    ToolCall(id: "toolu_1", name: "get_weather", arguments: "{\"city\":\"Paris\"}"),
                    ToolCall(id: "toolu_2", name: "get_weather", arguments: "{\"city\":\"Rome\"}"),
                ]),
                ChatMessage(role: .tool, content: "18C", toolCallId: "toolu_1"),
                ChatMessage(role: .tool, content: "{\"temp\":25}", toolCallId: "toolu_2"),
                ChatMessage(role: .user, content: "Thanks"),
                ChatMessage(role: .user, content: "And Oslo?"),
            ],
            maxTokens: 1024, temperature: 0.7, topP: 0.9, stop: ["END"],
            tools: [ToolDefinition(name: "get_weather", description: "Current weather",
                                   parameters: ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]])],
            toolChoice: .required)
        let r = try adapter.makeRequest(req, apiKey: key, baseURL: "http://127.0.0.1:9000", stream: true)
        #expect(r.url == "http://127.0.0.1:9000/v1/messages")
        let expected: JSONValue = [
            "model": "claude-sonnet-4-5", "max_tokens": 1024,
            "system": "You are terse.\n\nAnswer in French.",
            "messages": [
                ["role": "user", "content": "Weather in Paris and Rome?"],
                ["role": "assistant", "content": [
                    ["type": "text", "text": "Checking."],
                    ["type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": ["city": "Paris"]],
                    ["type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": ["city": "Rome"]],
                ]],
                ["role": "user", "content": [
                    ["type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"],
                    ["type": "tool_result", "tool_use_id": "toolu_2", "content": "{\"temp\":25}"],
                    ["type": "text", "text": "Thanks"],
                    ["type": "text", "text": "And Oslo?"],
                ]],
            ],
            "stop_sequences": ["END"], "temperature": 0.7, "top_p": 0.9,
            "tools": [["name": "get_weather", "description": "Current weather",
                       "input_schema": ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]]]],
            "tool_choice": ["type": "any"],
            "stream": true,
        ]
        #expect(try parsedBody(r) == expected)
    }

    @Test(arguments: [
        (ToolChoice.auto, ["type": "auto"] as JSONValue), (.none, ["type": "none"] as JSONValue),
        (.required, ["type": "any"] as JSONValue), (.function("get_weather"), ["type": "tool", "name": "get_weather"] as JSONValue),
    ]) func toolChoices(choice: ToolChoice, expected: JSONValue) throws {
        let req = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: "hi")],
                              tools: [ToolDefinition(name: "get_weather")], toolChoice: choice)
        #expect(try parsedBody(adapter.makeRequest(req, apiKey: key, baseURL: "http://x", stream: false))["tool_choice"] == expected)
    }

    @Test func invalidInput() {
        func field(_ messages: [ChatMessage]) -> String? {
            do {
                _ = try adapter.makeRequest(ChatRequest(model: "m", messages: messages), apiKey: key, baseURL: "http://x", stream: false)
                return nil
            } catch let e as DomainError {
                #expect(e.kind == .invalidParams)
                return e.field
            } catch { return "unexpected \(error)" }
        }
        #expect(field([]) == "messages")
        #expect(field([ChatMessage(role: .system, content: "only system")]) == "messages")
        #expect(field([ChatMessage(role: .user, content: "hi"), ChatMessage(role: .tool, content: "x")]) == "messages[1].tool_call_id")
        #expect(field([ChatMessage(role: .assistant, content: "", toolCalls: [ToolCall(id: "a", name: "f", arguments: "[1]")])])
                == "messages[0].tool_calls[0].function.arguments")
        #expect(field([ChatMessage(role: .user, content: "hi", toolCalls: [ToolCall(id: "a", name: "f", arguments: "{}")])])
                == "messages[0].tool_calls")
    }

    @Test func parsesDocsResponse() throws {
        let body = """
        {"id":"msg_01234","type":"message","role":"assistant","content":[{"type":"text","text":"Here's the answer to your question..."}],
         "stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":100,"output_tokens":50}}
        """
        #expect(try adapter.parseResponse(body: bytes(body)) == ChatResponse(
            providerMessageId: "msg_01234", text: "Here's the answer to your question...", finishReason: .stop,
            usage: Usage(inputTokens: 100, outputTokens: 50)))
    }

    @Test func parsesToolUseResponseWithCacheAndThinking() throws {
        let body = """
        {"id":"msg_019Q1hrJbZG26Fb9BQhrkHEr","type":"message","role":"assistant","model":"claude-sonnet-4-20250514",
         "content":[{"type":"thinking","thinking":"Need weather.","signature":"c2ln"},
                    {"type":"text","text":"I'll check the current weather in Paris for you."},
                    {"type":"tool_use","id":"toolu_01NRLabsLyVHZPKxbKvkfSMn","name":"get_weather","input":{"location":"Paris"}}],
         "stop_reason":"tool_use","stop_sequence":null,
         "usage":{"input_tokens":377,"cache_creation_input_tokens":1200,"cache_read_input_tokens":30000,"output_tokens":65,
                  "output_tokens_details":{"thinking_tokens":12},"service_tier":"standard"}}
        """
        #expect(try adapter.parseResponse(body: bytes(body)) == ChatResponse(
            providerMessageId: "msg_019Q1hrJbZG26Fb9BQhrkHEr",
            text: "I'll check the current weather in Paris for you.", reasoning: "Need weather.",
            toolCalls: [ToolCall(id: "toolu_01NRLabsLyVHZPKxbKvkfSMn", name: "get_weather", arguments: "{\"location\":\"Paris\"}")],
            finishReason: .toolCalls,
            usage: Usage(inputTokens: 377, outputTokens: 65, cacheReadInputTokens: 30000, cacheCreationInputTokens: 1200, reasoningTokens: 12)))
    }

    @Test func malformedResponse() {
        #expect(throws: ProviderError(kind: .server, status: 200, message: "malformed response body")) {
            try adapter.parseResponse(body: bytes("{\"id\": "))
        }
        #expect(throws: ProviderError(kind: .server, status: 200, message: "malformed response body")) {
            try adapter.parseResponse(body: bytes("[1,2]"))
        }
    }

    func error(_ status: Int, _ body: String, headers: [(String, String)] = []) -> ProviderError {
        adapter.parseError(status: status, headers: headers, body: bytes(body), apiKey: key)
    }

    @Test func errorClassification() {
        #expect(error(401, #"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_1"}"#)
                == ProviderError(kind: .authFailed, status: 401, message: "invalid x-api-key"))
        #expect(error(429, #"{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}"#,
                      headers: [("retry-after", "12")])
                == ProviderError(kind: .rateLimited, status: 429, message: "Number of request tokens has exceeded your per-minute rate limit", retryAfterMs: 12_000))
        #expect(error(429, #"{"type":"error","error":{"type":"rate_limit_error","message":"spend limit","details":{"error_code":"enforced_spend_limit_reached"}}}"#).kind
                == .quotaExceeded)
        #expect(error(529, #"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}, "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"}"#)
                == ProviderError(kind: .overloaded, status: 529, message: "Overloaded"))
        #expect(error(400, #"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 215000 tokens > 200000 maximum"}}"#)
                == ProviderError(kind: .contextWindowExceeded, status: 400, message: "prompt is too long: 215000 tokens > 200000 maximum"))
        #expect(error(400, #"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}}"#).kind == .invalidRequest)
        #expect(error(404, #"{"type":"error","error":{"type":"not_found_error","message":"model: claude-nope"}}"#).kind == .notFound)
        #expect(error(500, #"{"type":"error","error":{"type":"api_error","message":"Internal server error"}}"#).kind == .server)
        #expect(error(502, "<html>Bad gateway</html>") == ProviderError(kind: .server, status: 502, message: "HTTP 502"))
        #expect(error(503, "upstream connect error") == ProviderError(kind: .overloaded, status: 503, message: "upstream connect error"))
    }

    @Test func errorMessageNeverCarriesTheKey() {
        let e = error(401, #"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key sk-ant-api03-CANARYcanary0123456789-abcd (also sk-ant-api03-OTHERother0123456789-wxyz)"}}"#)
        #expect(e.kind == .authFailed)
        #expect(!e.message.contains("CANARY"))
        #expect(!e.message.contains("OTHER"))
        #expect(e.message == "invalid x-api-key sk-ant-...abcd (also sk-ant-...wxyz)")
        // An unparsable body is passed on redacted too.
        let raw = error(400, "bad key sk-ant-api03-CANARYcanary0123456789-abcd")
        #expect(raw.message == "bad key sk-ant-...abcd")
    }
}
