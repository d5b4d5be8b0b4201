import Foundation
import LLMDomain
import Testing
@testable import LLMProviders

@Suite struct OpenAIStreamTests {
    @Test(arguments: Split.allCases) func plainStreamWithoutUsage(split: Split) {
        let r = replay(.openai, Fixtures.openAIPlain, split: split)
        #expect(r.events == [.textDelta("Hello"), .finish(.stop)])
        #expect(r.acc.usage == nil)
        #expect(r.completed)
    }

    @Test(arguments: Split.allCases) func toolCallStreamWithUsageChunk(split: Split) {
        let r = replay(.openai, Fixtures.openAIToolUsage, split: split)
        #expect(r.events == [
            .toolCallDelta(index: 0, id: "call_c91SqDXlYFuETYv8mUHzz6pp", name: "GetWeatherArgs", arguments: ""),
            .toolCallDelta(index: 0, id: nil, name: nil, arguments: "{\""),
            .toolCallDelta(index: 0, id: nil, name: nil, arguments: "city"),
            .toolCallDelta(index: 0, id: nil, name: nil, arguments: "\":\""),
            .toolCallDelta(index: 0, id: nil, name: nil, arguments: "Paris"),
            .toolCallDelta(index: 0, id: nil, name: nil, arguments: "\"}"),
            .finish(.toolCalls),
            .usage(Usage(inputTokens: 76, outputTokens: 24)),
        ])
        #expect(r.acc.toolCalls == [ToolCall(id: "call_c91SqDXlYFuETYv8mUHzz6pp", name: "GetWeatherArgs", arguments: "{\"city\":\"Paris\"}")])
        #expect(r.completed)
    }

    @Test(arguments: Split.allCases) func lengthStreamEnd(split: Split) {
        let r = replay(.openai, Fixtures.openAILength, split: split)
        #expect(r.events == [.finish(.length), .usage(Usage(inputTokens: 79, outputTokens: 1))])
        #expect(r.completed)
    }

    @Test func cachedAndReasoningTokens() {
        let s = """
        data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"think "},"finish_reason":null}],"usage":null}

        data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"reasoning":"more"},"finish_reason":null}]}

        data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Answer"},"finish_reason":"stop"}]}

        data: {"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":256}}}

        data: [DONE]


        """
        let r = replay(.openai, s)
        #expect(r.acc.reasoning == "think more")
        #expect(r.acc.text == "Answer")
        #expect(r.usageEvents == [Usage(inputTokens: 86, outputTokens: 300, cacheReadInputTokens: 1920, reasoningTokens: 256)])
        #expect(r.completed)
    }

    @Test func cacheWriteTokensGoToCacheCreation() {
        let s = #"data: {"choices":[],"usage":{"prompt_tokens":5000,"completion_tokens":10,"total_tokens":5010,"prompt_tokens_details":{"cached_tokens":1000,"cache_write_tokens":3000}}}"# + "\n\ndata: [DONE]\n\n"
        #expect(replay(.openai, s).usageEvents == [Usage(inputTokens: 1000, outputTokens: 10, cacheReadInputTokens: 1000, cacheCreationInputTokens: 3000)])
    }

    @Test func parallelToolCallsByIndex() {
        let s = """
        data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":""}},{"index":1,"id":"call_b","type":"function","function":{"name":"g","arguments":"{}"}}]}}]}

        data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"x\\":1}"}}]}}]}

        data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}

        data: [DONE]

        """
        let r = replay(.openai, s)
        #expect(r.acc.toolCalls == [ToolCall(id: "call_a", name: "f", arguments: "{\"x\":1}"), ToolCall(id: "call_b", name: "g", arguments: "{}")])
        #expect(r.acc.finishReason == .toolCalls)
    }

    @Test(arguments: Split.allCases) func errorMidStream(split: Split) {
        let head = Fixtures.openAIPlain.components(separatedBy: "\n\n").prefix(2).joined(separator: "\n\n") + "\n\n"
        let s = head + #"data: {"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}"# + "\n\n"
        let r = replay(.openai, s, split: split)
        #expect(r.acc.text == "Hello")
        #expect(r.errors == [ProviderError(kind: .server, status: 200, message: "The server had an error while processing your request. Sorry about that!")])
        #expect(!r.completed)
    }

    @Test func truncatedBeforeUsageChunk() {
        let cut = Fixtures.openAIToolUsage.components(separatedBy: "data: {\"id\":\"chatcmpl-ABfw8AOXnoa2kzy11vVTSjuQhHCQr\",\"object\":\"chat.completion.chunk\",\"created\":1727346176,\"model\":\"gpt-4o-2024-08-06\",\"system_fingerprint\":\"fp_7568d46099\",\"choices\":[],")[0]
        let r = replay(.openai, cut)
        #expect(r.acc.finishReason == .toolCalls)
        #expect(r.acc.usage == nil)
        #expect(!r.completed)
    }

    @Test func malformedChunkKeepsGoing() {
        let r = replay(.openai, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\ndata: {oops}\n\n" + Fixtures.openAIPlain)
        #expect(r.events == [
            .textDelta("a"), .error(ProviderError(kind: .server, status: 200, message: "malformed stream event")),
            .textDelta("Hello"), .finish(.stop),
        ])
        #expect(r.completed)
    }

    @Test(arguments: [("stop", FinishReason.stop), ("length", .length), ("tool_calls", .toolCalls),
                      ("content_filter", .contentFilter), ("function_call", .toolCalls)])
    func finishReasons(raw: String, expected: FinishReason) {
        let s = "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"\(raw)\"}]}\n\n"
        #expect(replay(.openai, s).acc.finishReason == expected)
    }
}
