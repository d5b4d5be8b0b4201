import LLMDomain
import LLMJSON
import Testing
@testable import LLMProviders

@Suite struct OpenAIAdapterTests {
    let adapter = OpenAIAdapter()
    let key = SecretKey("sk-proj-CANARYcanary0123456789abcdefWXYZ")

    @Test func minimalRequest() throws {
        let r = try adapter.makeRequest(ChatRequest(model: "gpt-5.4", messages: [ChatMessage(role: .user, content: "Hello")]),
                                        apiKey: key, baseURL: "https://api.openai.com/v1", stream: false)
        #expect(r.url == "https://api.openai.com/v1/chat/completions")
        #expect(header("authorization", r) == "Bearer sk-proj-CANARYcanary0123456789abcdefWXYZ")
        #expect(header("content-type", r) == "application/json")
        #expect(header("expect", r) == "")
        #expect(try parsedBody(r) == ["model": "gpt-5.4", "messages": [["role": "user", "content": "Hello"]]])
    }

    @Test func fullConversationStreaming() throws {
        let req = ChatRequest(
            model: "gpt-5.4",
            messages: [
                ChatMessage(role: .system, content: "You are terse."),
                ChatMessage(role: .user, content: "Weather in Paris?"),
                ChatMessage(role: .assistant, content: "", toolCalls: [ToolCall(id: "call_1", name: "get_weather", arguments: "{\"city\":\"Paris\"}")]),
                ChatMessage(role: .tool, content: "18C", toolCallId: "call_1"),
                ChatMessage(role: .assistant, content: "18C in Paris."),
            ],
            maxTokens: 512, temperature: 0.2, topP: 1, stop: ["END", "STOP"],
            tools: [ToolDefinition(name: "get_weather", description: "Current weather", parameters: ["type": "object"])],
            toolChoice: .function("get_weather"))
        let r = try adapter.makeRequest(req, apiKey: key, baseURL: "http://127.0.0.1:9000/v1/", stream: true)
        #expect(r.url == "http://127.0.0.1:9000/v1/chat/completions")
        #expect(try parsedBody(r) == [
            "model": "gpt-5.4",
            "messages": [
                ["role": "system", "content": "You are terse."],
                ["role": "user", "content": "Weather in Paris?"],
                ["role": "assistant", "content": .null, "tool_calls": [
                    ["id": "call_1", "type": "function", "function": ["name": "get_weather", "arguments": "{\"city\":\"Paris\"}"]],
                ]],
                ["role": "tool", "tool_call_id": "call_1", "content": "18C"],
                ["role": "assistant", "content": "18C in Paris."],
            ],
            "max_completion_tokens": 512, "temperature": 0.2, "top_p": 1, "stop": ["END", "STOP"],
            "tools": [["type": "function", "function": ["name": "get_weather", "description": "Current weather", "parameters": ["type": "object"]]]],
            "tool_choice": ["type": "function", "function": ["name": "get_weather"]],
            "stream": true, "stream_options": ["include_usage": true],
        ])
    }

    @Test(arguments: [(ToolChoice.auto, "auto" as JSONValue), (.none, "none" as JSONValue), (.required, "required" as JSONValue)])
    func toolChoices(choice: ToolChoice, expected: JSONValue) throws {
        let req = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: "hi")], tools: [ToolDefinition(name: "f")], toolChoice: choice)
        #expect(try parsedBody(adapter.makeRequest(req, apiKey: key, baseURL: "http://x/v1", stream: false))["tool_choice"] == expected)
    }

    @Test func invalidInput() {
        #expect(throws: DomainError.invalidParams("messages", "must not be empty")) {
            try adapter.makeRequest(ChatRequest(model: "m", messages: []), apiKey: key, baseURL: "http://x", stream: false)
        }
        #expect(throws: DomainError.invalidParams("messages[0].tool_call_id", "a tool message needs tool_call_id")) {
            try adapter.makeRequest(ChatRequest(model: "m", messages: [ChatMessage(role: .tool, content: "x")]), apiKey: key, baseURL: "http://x", stream: false)
        }
    }

    @Test func parsesDefaultExample() throws {
        let body = """
        {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,"model":"gpt-5.4",
         "choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I assist you today?","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],
         "usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},
                  "completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},
         "service_tier":"default"}
        """
        #expect(try adapter.parseResponse(body: bytes(body)) == ChatResponse(
            providerMessageId: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT", text: "Hello! How can I assist you today?",
            finishReason: .stop, usage: Usage(inputTokens: 19, outputTokens: 10)))
    }

    @Test func parsesFunctionsExample() throws {
        let body = """
        {"id":"chatcmpl-abc123","object":"chat.completion","created":1699896916,"model":"gpt-4o-mini",
         "choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_abc123","type":"function",
           "function":{"name":"get_current_weather","arguments":"{\\n\\"location\\": \\"Boston, MA\\"\\n}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],
         "usage":{"prompt_tokens":82,"completion_tokens":17,"total_tokens":99,"completion_tokens_details":{"reasoning_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}
        """
        #expect(try adapter.parseResponse(body: bytes(body)) == ChatResponse(
            providerMessageId: "chatcmpl-abc123",
            toolCalls: [ToolCall(id: "call_abc123", name: "get_current_weather", arguments: "{\n\"location\": \"Boston, MA\"\n}")],
            finishReason: .toolCalls, usage: Usage(inputTokens: 82, outputTokens: 17)))
    }

    @Test func parsesCachedAndReasoningUsage() throws {
        let body = #"{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"length"}],"usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920},"completion_tokens_details":{"reasoning_tokens":256}}}"#
        let r = try adapter.parseResponse(body: bytes(body))
        #expect(r.usage == Usage(inputTokens: 86, outputTokens: 300, cacheReadInputTokens: 1920, reasoningTokens: 256))
        #expect(r.usage?.totalTokens == 2306)
        #expect(r.finishReason == .length)
    }

    func error(_ status: Int, _ body: String, headers: [(String, String)] = []) -> ProviderError {
        adapter.parseError(status: status, headers: headers, body: bytes(body), apiKey: key)
    }

    @Test func errorClassification() {
        let bad = error(401, #"{"error": {"message": "Incorrect API key provided: sk-proj-CANARYcanary0123456789abcdefWXYZ. You can find your API key at https://platform.openai.com/account/api-keys.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}"#)
        #expect(bad == ProviderError(kind: .authFailed, status: 401,
                                     message: "Incorrect API key provided: sk-proj...WXYZ. You can find your API key at https://platform.openai.com/account/api-keys."))
        #expect(!bad.message.contains("CANARY"))
        // The masked form OpenAI itself sends is masked again, harmlessly.
        #expect(error(401, #"{"error": {"message": "Incorrect API key provided: sk-abc***. You can find your API key at https://platform.openai.com/account/api-keys.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}"#).kind == .authFailed)
        #expect(error(429, #"{"error": {"message": "Rate limit reached for requests", "type": "requests", "param": null, "code": "rate_limit_exceeded"}}"#,
                      headers: [("Retry-After", "20"), ("x-ratelimit-reset-requests", "1s")])
                == ProviderError(kind: .rateLimited, status: 429, message: "Rate limit reached for requests", retryAfterMs: 20_000))
        #expect(error(429, #"{"error": {"message": "You exceeded your current quota, please check your plan and billing details.", "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}}"#)
                == ProviderError(kind: .quotaExceeded, status: 429, message: "You exceeded your current quota, please check your plan and billing details."))
        #expect(error(503, #"{"error": {"message": "The engine is currently overloaded, please try again later", "type": "service_unavailable_error", "param": null, "code": "server_is_overloaded"}}"#).kind == .overloaded)
        #expect(error(500, #"{"error": {"message": "The server had an error", "type": "server_error", "param": null, "code": null}}"#).kind == .server)
        #expect(error(400, #"{"error": {"message": "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.", "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}"#).kind
                == .contextWindowExceeded)
        #expect(error(404, #"{"error": {"message": "The model `gpt-nope` does not exist or you do not have access to it.", "type": "invalid_request_error", "param": null, "code": "model_not_found"}}"#).kind == .notFound)
        #expect(error(400, #"{"error": {"message": "Invalid value for 'temperature'.", "type": "invalid_request_error", "param": "temperature", "code": null}}"#).kind == .invalidRequest)
    }
}
