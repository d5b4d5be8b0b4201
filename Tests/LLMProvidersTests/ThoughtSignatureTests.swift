import LLMDomain
import LLMJSON
import Testing
@testable import LLMProviders

/// Gemini 3's thought signatures on function calls: carried to the client inside the tool call's
/// id, put back on the call's part in requests to Gemini, and left out of requests to the others.
@Suite struct ThoughtSignatureTests {
    static let signature = "CiQBcsjafA5+ZnR0/sig=="
    static let carried = "call_0123456789abcdef01234567__thought__" + signature

    @Test func anIdCarriesASignatureAndGivesItBack() {
        #expect(ToolCallID.carrying("call_1", signature: Self.signature) == "call_1__thought__" + Self.signature)
        #expect(ToolCallID.carrying("call_1", signature: nil) == "call_1")
        #expect(ToolCallID.carrying("call_1", signature: "") == "call_1")
        #expect(ToolCallID.split("call_1__thought__" + Self.signature) == ("call_1", Self.signature))
        #expect(ToolCallID.split("call_1") == ("call_1", nil))
        #expect(ToolCallID.split("call_1__thought__") == ("call_1", nil))
    }

    @Test func aPlainAnswersCallCarriesItsSignature() throws {
        let body = #"{"candidates":[{"content":{"parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"CiQBcsjafA5+ZnR0/sig=="},{"functionCall":{"name":"get_time","args":{}}}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":5}}"#
        let r = try GeminiAdapter().parseResponse(body: bytes(body))
        #expect(r.toolCalls.count == 2)
        let (first, signature) = ToolCallID.split(r.toolCalls[0].id)
        #expect(first.hasPrefix("call_") && first.count == 29)
        #expect(signature == Self.signature)
        // Parallel calls: Gemini signs the first only.
        #expect(ToolCallID.split(r.toolCalls[1].id).signature == nil)
    }

    @Test func aStreamedCallCarriesItsSignatureAndKeepsTheProvidersId() {
        let s = #"data: {"candidates":[{"content":{"parts":[{"functionCall":{"id":"fc-1","name":"f","args":{}},"thoughtSignature":"CiQBcsjafA5+ZnR0/sig=="}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":1}}"# + "\r\n\r\n"
        #expect(replay(.google, s).events.first
                 == .toolCallDelta(index: 0, id: "fc-1__thought__" + Self.signature, name: "f", arguments: "{}"))
    }

    /// A history whose first call carries a signature and whose second (a parallel call) does not.
    var history: [ChatMessage] {
        [ChatMessage(role: .user, content: "Weather and time in Paris?"),
         ChatMessage(role: .assistant, content: "", toolCalls: [
             ToolCall(id: Self.carried, name: "get_weather", arguments: #"{"city":"Paris"}"#),
             ToolCall(id: "call_2", name: "get_time", arguments: "{}"),
         ]),
         ChatMessage(role: .tool, content: "18C", toolCallId: Self.carried),
         ChatMessage(role: .tool, content: "noon", toolCallId: "call_2")]
    }

    @Test func geminiGetsTheSignatureBackOnTheCallsPart() throws {
        let r = try GeminiAdapter().makeRequest(ChatRequest(model: "gemini-3.5-flash", messages: history),
                                                apiKey: SecretKey("AIza-test"), baseURL: "http://x", stream: false)
        #expect(try parsedBody(r)["contents"] == [
            ["role": "user", "parts": [["text": "Weather and time in Paris?"]]],
            ["role": "model", "parts": [
                ["functionCall": ["name": "get_weather", "args": ["city": "Paris"]], "thoughtSignature": .string(Self.signature)],
                ["functionCall": ["name": "get_time", "args": [:]]],
            ]],
            ["role": "user", "parts": [
                ["functionResponse": ["name": "get_weather", "response": ["result": "18C"]]],
                ["functionResponse": ["name": "get_time", "response": ["result": "noon"]]],
            ]],
        ])
    }

    @Test func unsignedCallsGetGooglesPlaceholderForGemini3Only() throws {
        let messages = [ChatMessage(role: .user, content: "Time?"),
                        ChatMessage(role: .assistant, content: "", toolCalls: [ToolCall(id: "toolu_1", name: "get_time", arguments: "{}"),
                                                                               ToolCall(id: "toolu_2", name: "get_date", arguments: "{}")]),
                        ChatMessage(role: .tool, content: "noon", toolCallId: "toolu_1"),
                        ChatMessage(role: .tool, content: "May 1", toolCallId: "toolu_2")]
        func calls(_ model: String) throws -> JSONValue? {
            let r = try GeminiAdapter().makeRequest(ChatRequest(model: model, messages: messages),
                                                    apiKey: SecretKey("AIza-test"), baseURL: "http://x", stream: false)
            return try parsedBody(r)["contents"]?.arrayValue?[1]["parts"]
        }
        // As Gemini signs a step: its first call only.
        let placeholder: JSONValue = [
            ["functionCall": ["name": "get_time", "args": [:]], "thoughtSignature": "skip_thought_signature_validator"],
            ["functionCall": ["name": "get_date", "args": [:]]],
        ]
        #expect(try calls("gemini-3.5-flash") == placeholder)
        #expect(try calls("models/gemini-3.1-pro-preview") == placeholder)
        #expect(try calls("gemini-10-ultra") == placeholder)
        let unsigned: JSONValue = [["functionCall": ["name": "get_time", "args": [:]]], ["functionCall": ["name": "get_date", "args": [:]]]]
        #expect(try calls("gemini-2.5-pro") == unsigned)
        #expect(try calls("gemini-exp-1206") == unsigned)
        #expect(try calls("learnlm-2.0-flash") == unsigned)
    }

    @Test func aToolResultMayNameTheCallWithoutItsSignature() throws {
        var messages = history
        messages[2].toolCallId = "call_0123456789abcdef01234567"
        let r = try GeminiAdapter().makeRequest(ChatRequest(model: "gemini-3.5-flash", messages: messages),
                                                apiKey: SecretKey("AIza-test"), baseURL: "http://x", stream: false)
        #expect(try parsedBody(r)["contents"]?.arrayValue?.last?["parts"]?.arrayValue?.first
                == ["functionResponse": ["name": "get_weather", "response": ["result": "18C"]]])
    }

    @Test func openAIAndAnthropicGetTheIdWithoutIt() throws {
        let plainId = "call_0123456789abcdef01234567"
        let openAI = try parsedBody(OpenAIAdapter().makeRequest(ChatRequest(model: "gpt-x", messages: history),
                                                                apiKey: SecretKey("sk-test"), baseURL: "http://x", stream: false))
        let messages = try #require(openAI["messages"]?.arrayValue)
        #expect(messages[1]["tool_calls"]?.arrayValue?.map { $0["id"] } == [.string(plainId), "call_2"])
        #expect(messages[2]["tool_call_id"] == .string(plainId))
        #expect(messages[3]["tool_call_id"] == "call_2")

        let anthropic = try parsedBody(AnthropicAdapter().makeRequest(ChatRequest(model: "claude-x", messages: history, maxTokens: 10),
                                                                      apiKey: SecretKey("sk-ant-test"), baseURL: "http://x", stream: false))
        let turns = try #require(anthropic["messages"]?.arrayValue)
        #expect(turns[1]["content"]?.arrayValue?.map { $0["id"] } == [.string(plainId), "call_2"])
        #expect(turns[2]["content"]?.arrayValue?.map { $0["tool_use_id"] } == [.string(plainId), "call_2"])
    }
}
