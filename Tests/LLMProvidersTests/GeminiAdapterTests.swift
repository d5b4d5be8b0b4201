import LLMDomain
import LLMJSON
import Testing
@testable import LLMProviders

@Suite struct GeminiAdapterTests {
    let adapter = GeminiAdapter()
    let key = SecretKey("AIzaSyCANARYcanary0123456789abcdefWXYZ")

    @Test func urlsAndHeaders() throws {
        let req = ChatRequest(model: "gemini-2.5-flash", messages: [ChatMessage(role: .user, content: "Hi")])
        let plain = try adapter.makeRequest(req, apiKey: key, baseURL: "https://generativelanguage.googleapis.com/", stream: false)
        #expect(plain.url == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent")
        #expect(plain.headers.map { "\($0.0): \($0.1)" } == [
            "x-goog-api-key: AIzaSyCANARYcanary0123456789abcdefWXYZ", "content-type: application/json", "Expect: ",
        ])
        #expect(try parsedBody(plain) == ["contents": [["role": "user", "parts": [["text": "Hi"]]]]])
        var prefixed = req
        prefixed.model = "models/gemini-2.5-flash"
        let streamed = try adapter.makeRequest(prefixed, apiKey: key, baseURL: "http://127.0.0.1:9000", stream: true)
        #expect(streamed.url == "http://127.0.0.1:9000/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
        #expect(streamed.body == plain.body)
    }

    @Test func fullConversation() throws {
        let req = ChatRequest(
            model: "gemini-2.5-pro",
            messages: [
                ChatMessage(role: .system, content: "You are terse."),
                ChatMessage(role: .user, content: "Weather in Paris?"),
                ChatMessage(role: .user, content: "And Rome?"),
                ChatMessage(role: .assistant, content: "", toolCalls: [
                    ToolCall(id: "call_1", name: "get_weather", arguments: "{\"city\":\"Paris\"}"),
                    ToolCall(id: "call_2", name: "get_time", arguments: ""),
                ]),
                ChatMessage(role: .tool, content: "{\"temp_c\":18}", toolCallId: "call_1"),
                ChatMessage(role: .tool, content: "noon", toolCallId: "call_2"),
                ChatMessage(role: .assistant, content: "18C at noon."),
                ChatMessage(role: .user, content: "Thanks"),
            ],
            maxTokens: 1024, temperature: 0.7, topP: 0.95, stop: ["END"],
            tools: [ToolDefinition(name: "get_weather", description: "Current weather",
                                   parameters: ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]]),
                    ToolDefinition(name: "get_time")],
            toolChoice: .function("get_weather"))
        let r = try adapter.makeRequest(req, apiKey: key, baseURL: "http://x", stream: false)
        #expect(try parsedBody(r) == [
            "contents": [
                ["role": "user", "parts": [["text": "Weather in Paris?"], ["text": "And Rome?"]]],
                ["role": "model", "parts": [
                    ["functionCall": ["name": "get_weather", "args": ["city": "Paris"]]],
                    ["functionCall": ["name": "get_time", "args": [:]]],
                ]],
                ["role": "user", "parts": [
                    ["functionResponse": ["name": "get_weather", "response": ["result": ["temp_c": 18]]]],
                    ["functionResponse": ["name": "get_time", "response": ["result": "noon"]]],
                ]],
                ["role": "model", "parts": [["text": "18C at noon."]]],
                ["role": "user", "parts": [["text": "Thanks"]]],
            ],
            "systemInstruction": ["parts": [["text": "You are terse."]]],
            "generationConfig": ["maxOutputTokens": 1024, "temperature": 0.7, "topP": 0.95, "stopSequences": ["END"]],
            "tools": [["functionDeclarations": [
                ["name": "get_weather", "description": "Current weather",
                 "parameters": ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]]],
                ["name": "get_time", "parameters": ["type": "object", "properties": [:]]],
            ]]],
            "toolConfig": ["functionCallingConfig": ["mode": "ANY", "allowedFunctionNames": ["get_weather"]]],
        ])
    }

    @Test(arguments: [(ToolChoice.auto, ["mode": "AUTO"] as JSONValue), (.none, ["mode": "NONE"] as JSONValue), (.required, ["mode": "ANY"] as JSONValue)])
    func toolChoices(choice: ToolChoice, expected: JSONValue) throws {
        let req = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: "hi")], tools: [ToolDefinition(name: "f")], toolChoice: choice)
        #expect(try parsedBody(adapter.makeRequest(req, apiKey: key, baseURL: "http://x", stream: false))["toolConfig"] == ["functionCallingConfig": expected])
    }

    @Test func toolResultWithUnknownIdIsRejected() {
        #expect(throws: DomainError.invalidParams("messages[1].tool_call_id", "no earlier assistant tool call has this id")) {
            try adapter.makeRequest(ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: "hi"), ChatMessage(role: .tool, content: "x", toolCallId: "nope")]),
                                    apiKey: key, baseURL: "http://x", stream: false)
        }
        #expect(throws: DomainError.invalidParams("messages", "must not be empty")) {
            try adapter.makeRequest(ChatRequest(model: "m", messages: []), apiKey: key, baseURL: "http://x", stream: false)
        }
    }

    @Test func parsesDocsResponseWithThoughtTokens() throws {
        let body = """
        {"candidates":[{"content":{"parts":[{"text":"INVOICE"}],"role":"model"},"finishReason":"STOP","index":0}],
         "usageMetadata":{"promptTokenCount":34,"candidatesTokenCount":418,"totalTokenCount":890,"promptTokensDetails":[{"modality":"TEXT","tokenCount":34}],"thoughtsTokenCount":438},
         "modelVersion":"gemini-3-flash-preview","responseId":"3w4Vad6yF-y1vdIP_q_zgAw"}
        """
        let r = try adapter.parseResponse(body: bytes(body))
        #expect(r == ChatResponse(providerMessageId: "3w4Vad6yF-y1vdIP_q_zgAw", text: "INVOICE", finishReason: .stop,
                                  usage: Usage(inputTokens: 34, outputTokens: 856, reasoningTokens: 438)))
        #expect(r.usage?.totalTokens == 890)
    }

    @Test func parsesFunctionCallResponse() throws {
        let body = #"{"candidates":[{"content":{"parts":[{"text":"plan","thought":true},{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":100,"cachedContentTokenCount":60,"candidatesTokenCount":8,"totalTokenCount":108}}"#
        let r = try adapter.parseResponse(body: bytes(body))
        #expect(r.reasoning == "plan")
        #expect(r.toolCalls.count == 1)
        #expect(r.toolCalls.first?.name == "get_weather")
        #expect(r.toolCalls.first?.arguments == "{\"city\":\"Paris\"}")
        #expect(r.toolCalls.first?.id.hasPrefix("call_") == true)
        #expect(r.finishReason == .toolCalls)
        #expect(r.usage == Usage(inputTokens: 40, outputTokens: 8, cacheReadInputTokens: 60))
    }

    func error(_ status: Int, _ body: String, headers: [(String, String)] = []) -> ProviderError {
        adapter.parseError(status: status, headers: headers, body: bytes(body), apiKey: key)
    }

    @Test func invalidKeyIs400ButAuthFailed() {
        let body = """
        {
          "error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [
              {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {
                  "service": "generativelanguage.googleapis.com"
                }
              },
              {
                "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                "locale": "en-US",
                "message": "API key not valid. Please pass a valid API key."
              }
            ]
          }
        }
        """
        #expect(error(400, body) == ProviderError(kind: .authFailed, status: 400, message: "API key not valid. Please pass a valid API key."))
        // The array-wrapped form of a non-SSE stream.
        #expect(error(400, "[" + body + "]").kind == .authFailed)
    }

    @Test func resourceExhaustedWithAndWithoutRetryInfo() {
        let doc = """
        {
          "error": {
            "code": 429,
            "message": "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to: https://ai.dev/rate-limit. ",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
              {
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [
                  {
                    "description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits"
                  }
                ]
              }
            ]
          }
        }
        """
        let e = error(429, doc)
        #expect(e.kind == .rateLimited)
        #expect(e.retryAfterMs == nil)
        #expect(e.message.hasPrefix("You exceeded your current quota"))
        let withRetry = #"{"error":{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"2s"}]}}"#
        #expect(error(429, withRetry) == ProviderError(kind: .rateLimited, status: 429, message: "Resource exhausted", retryAfterMs: 2_000))
    }

    @Test func otherErrors() {
        #expect(error(503, #"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#).kind == .overloaded)
        #expect(error(404, #"{"error":{"code":404,"message":"models/gemini-nope is not found","status":"NOT_FOUND"}}"#).kind == .notFound)
        #expect(error(400, #"{"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}"#).kind
                == .contextWindowExceeded)
        #expect(error(400, #"{"error":{"code":400,"message":"Invalid JSON payload received.","status":"INVALID_ARGUMENT"}}"#).kind == .invalidRequest)
        #expect(error(500, #"{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}"#).kind == .server)
        #expect(error(403, #"{"error":{"code":403,"message":"Method doesn't allow unregistered callers.","status":"PERMISSION_DENIED"}}"#).kind == .authFailed)
    }

    @Test func keyInMessageIsMasked() {
        let e = error(400, #"{"error":{"code":400,"message":"Bad request for key=AIzaSyCANARYcanary0123456789abcdefWXYZ and AIzaSyOTHERother0123456789abcdefghij","status":"INVALID_ARGUMENT"}}"#)
        #expect(e.message == "Bad request for key=AIza...WXYZ and AIza...ghij")
    }
}
