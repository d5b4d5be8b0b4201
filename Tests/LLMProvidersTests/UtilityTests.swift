import Foundation
import LLMJSON
import LLMDomain
import Testing
@testable import LLMProviders

@Suite struct TokenEstimatorTests {
    @Test func textIsCeilOfBytesOverFour() {
        #expect(TokenEstimator.estimate(text: "") == 0)
        #expect(TokenEstimator.estimate(text: "a") == 1)
        #expect(TokenEstimator.estimate(text: "abcd") == 1)
        #expect(TokenEstimator.estimate(text: "abcde") == 2)
        #expect(TokenEstimator.estimate(text: "é") == 1)  // 2 bytes
        #expect(TokenEstimator.estimate(text: "世界世界") == 3)  // 12 bytes
    }

    @Test func messagesAddOverheadAndToolCalls() {
        let messages = [
            ChatMessage(role: .user, content: "Hello there!"),  // 12 bytes → 3
            ChatMessage(role: .assistant, content: "", toolCalls: [ToolCall(id: "c1", name: "get_weather", arguments: "{\"city\":\"Paris\"}")]),
            ChatMessage(role: .tool, content: "18C", toolCallId: "c1"),
        ]
        // 4+3, 4+0+3(name 11 bytes)+4(args 16 bytes), 4+1+1(id)
        #expect(TokenEstimator.estimate(messages: messages) == 24)
        #expect(TokenEstimator.estimate(messages: []) == 0)
        // A Gemini signature carried in the id is not counted.
        let signed = [ChatMessage(role: .tool, content: "18C", toolCallId: "c1__thought__" + String(repeating: "A", count: 400))]
        #expect(TokenEstimator.estimate(messages: signed) == 6)
    }
}

@Suite struct KeyRedactorTests {
    @Test func exactKeyIsMasked() {
        let key = SecretKey("sk-ant-api03-CANARY0123456789abcdefWXYZ")
        let out = KeyRedactor.redact("bad key sk-ant-api03-CANARY0123456789abcdefWXYZ here", key: key)
        #expect(out == "bad key sk-ant-...WXYZ here")
        #expect(!out.contains("CANARY"))
    }

    @Test func keyShapedTokensAreMaskedWithoutTheKey() {
        #expect(KeyRedactor.redact("key sk-proj-abcdefghijklmnop1234 leaked", key: nil) == "key sk-proj...1234 leaked")
        #expect(KeyRedactor.redact("AIzaSyCANARYcanary0123456789abcdefghij.", key: nil) == "AIza...ghij.")
        #expect(KeyRedactor.redact("Incorrect API key provided: sk-abc***. You can", key: nil) == "Incorrect API key provided: ...**. You can")
        // Not at a word boundary, or too short: left alone.
        #expect(KeyRedactor.redact("task-abcdefgh and sk-1", key: nil) == "task-abcdefgh and sk-1")
    }

    @Test func oddKeysAreStillRemoved() {
        let key = SecretKey("my.secret+key/WITH=chars")
        let out = KeyRedactor.redact("got my.secret+key/WITH=chars twice: my.secret+key/WITH=chars", key: key)
        #expect(!out.contains("my.secret"))
        #expect(out == "got my....hars twice: my....hars")
    }
}

@Suite struct RetryAfterTests {
    @Test func secondsDatesAndDurations() {
        let now = Date(timeIntervalSince1970: 1_445_412_470)  // Wed, 21 Oct 2015 07:27:50 GMT
        #expect(RetryAfter.parse("30", now: now) == 30_000)
        #expect(RetryAfter.parse("1.5", now: now) == 1_500)
        #expect(RetryAfter.parse("Wed, 21 Oct 2015 07:28:00 GMT", now: now) == 10_000)
        #expect(RetryAfter.parse("Wed, 21 Oct 2015 07:00:00 GMT", now: now) == 0)
        #expect(RetryAfter.parse("soon", now: now) == nil)
        #expect(RetryAfter.duration("2s") == 2_000)
        #expect(RetryAfter.duration("0.250s") == 250)
        #expect(RetryAfter.duration("2") == nil)
        #expect(RetryAfter.milliseconds(headers: [("Retry-After", "7")]) == 7_000)
        #expect(RetryAfter.milliseconds(headers: [("retry-after", "7"), ("retry-after-ms", "1234")]) == 1_234)
        #expect(RetryAfter.milliseconds(headers: [("x-other", "7")]) == nil)
    }
}

@Suite struct AccumulatorTests {
    @Test func assemblesToolCallsByIndexAndKeepsLatestUsage() {
        var acc = ChatEventAccumulator()
        acc.add([
            .textDelta("Hi"), .reasoningDelta("hmm"),
            .toolCallDelta(index: 0, id: "a", name: "f", arguments: ""),
            .toolCallDelta(index: 1, id: "b", name: "g", arguments: "{}"),
            .toolCallDelta(index: 0, id: nil, name: nil, arguments: "{\"x\":"),
            .toolCallDelta(index: 0, id: nil, name: nil, arguments: "1}"),
            .usage(Usage(inputTokens: 1)), .usage(Usage(inputTokens: 5, outputTokens: 2)),
            .finish(.toolCalls),
        ])
        #expect(acc.response == ChatResponse(text: "Hi", reasoning: "hmm",
                                             toolCalls: [ToolCall(id: "a", name: "f", arguments: "{\"x\":1}"),
                                                         ToolCall(id: "b", name: "g", arguments: "{}")],
                                             finishReason: .toolCalls, usage: Usage(inputTokens: 5, outputTokens: 2)))
    }
}

@Suite struct RegistryTests {
    @Test func adapterPerProvider() {
        #expect(Provider.allCases.map { ProviderAdapters.adapter(for: $0).provider } == [.anthropic, .openai, .google])
    }

    @Test func everyRequestHasAnEmptyExpectHeader() throws {
        let req = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: "hi")])
        for p in Provider.allCases {
            for stream in [false, true] {
                let r = try ProviderAdapters.adapter(for: p).makeRequest(req, apiKey: SecretKey("k"), baseURL: "http://x", stream: stream)
                #expect(r.headers.filter { $0.0 == "Expect" }.map(\.1) == [""])
            }
        }
    }

    @Test func streamFlagInBodies() throws {
        let req = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: "hi")])
        func body(_ p: Provider, _ stream: Bool) throws -> JSONValue {
            try parsedBody(ProviderAdapters.adapter(for: p).makeRequest(req, apiKey: SecretKey("k"), baseURL: "http://x", stream: stream))
        }
        #expect(try body(.anthropic, true)["stream"] == true)
        #expect(try body(.anthropic, false)["stream"] == nil)
        #expect(try body(.openai, true)["stream_options"] == ["include_usage": true])
        #expect(try body(.openai, false)["stream"] == nil)
        #expect(try body(.google, true) == body(.google, false))
    }
}
