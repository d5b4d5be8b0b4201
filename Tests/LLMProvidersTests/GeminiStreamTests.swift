import Foundation
import LLMDomain
import Testing
@testable import LLMProviders

@Suite struct GeminiStreamTests {
    @Test func fixtureUsesCRLF() {
        #expect(Fixtures.geminiCRLF.contains("\r\n\r\n"))
        #expect(!Fixtures.geminiCRLF.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }

    @Test(arguments: Split.allCases) func crlfStream(split: Split) {
        let r = replay(.google, Fixtures.geminiCRLF, split: split)
        #expect(r.events == [
            .textDelta("Hello"), .usage(Usage(inputTokens: 7)),
            .textDelta(" there!"), .usage(Usage(inputTokens: 7, outputTokens: 3)),
            .finish(.stop), .usage(Usage(inputTokens: 7, outputTokens: 24, reasoningTokens: 20)),
        ])
        #expect(r.acc.text == "Hello there!")
        #expect(r.acc.usage?.totalTokens == 31)
        #expect(r.completed)
    }

    @Test func truncatedBeforeFinalChunk() {
        let parts = Fixtures.geminiCRLF.components(separatedBy: "\r\n\r\n")
        let r = replay(.google, parts.prefix(2).joined(separator: "\r\n\r\n") + "\r\n\r\n")
        #expect(r.acc.text == "Hello there!")
        #expect(r.acc.finishReason == nil)
        #expect(r.acc.usage == Usage(inputTokens: 7, outputTokens: 3))
        #expect(!r.completed)
    }

    @Test func cachedThoughtsAndToolUsePrompt() {
        let s = """
        data: {"candidates":[{"content":{"parts":[{"text":"Considering the question","thought":true}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":5000,"cachedContentTokenCount":4000,"totalTokenCount":5000}}\r
        \r
        data: {"candidates":[{"content":{"parts":[{"text":"Done."}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":5000,"cachedContentTokenCount":4000,"candidatesTokenCount":12,"thoughtsTokenCount":300,"toolUsePromptTokenCount":50,"totalTokenCount":5362}}\r
        \r

        """
        let r = replay(.google, s)
        #expect(r.acc.reasoning == "Considering the question")
        #expect(r.acc.text == "Done.")
        #expect(r.acc.usage == Usage(inputTokens: 1050, outputTokens: 312, cacheReadInputTokens: 4000, reasoningTokens: 300))
        #expect(r.acc.usage?.totalTokens == 5362)
        #expect(r.completed)
    }

    @Test func functionCallsArriveWholeWithGeneratedIds() {
        let s = """
        data: {"candidates":[{"content":{"parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}},{"functionCall":{"name":"get_weather","args":{"city":"Rome"}}}],"role":"model"},"index":0}]}

        data: {"candidates":[{"content":{"parts":[{"text":""}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":30,"candidatesTokenCount":10,"totalTokenCount":40}}


        """
        let r = replay(.google, s)
        #expect(r.acc.toolCalls.map(\.name) == ["get_weather", "get_weather"])
        #expect(r.acc.toolCalls.map(\.arguments) == ["{\"city\":\"Paris\"}", "{\"city\":\"Rome\"}"])
        let ids = r.acc.toolCalls.map(\.id)
        #expect(ids.allSatisfy { $0.hasPrefix("call_") && $0.count == 29 && $0.dropFirst(5).allSatisfy(\.isHexDigit) })
        #expect(Set(ids).count == 2)
        #expect(r.acc.finishReason == .toolCalls)
        #expect(r.acc.usage == Usage(inputTokens: 30, outputTokens: 10))
        #expect(r.completed)
    }

    @Test func providerIdIsKept() {
        let s = #"data: {"candidates":[{"content":{"parts":[{"functionCall":{"id":"fc-1","name":"f","args":{}}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":1}}"# + "\r\n\r\n"
        #expect(replay(.google, s).events.first == .toolCallDelta(index: 0, id: "fc-1", name: "f", arguments: "{}"))
    }

    @Test(arguments: Split.allCases) func errorMidStream(split: Split) {
        let first = Fixtures.geminiCRLF.components(separatedBy: "\r\n\r\n")[0] + "\r\n\r\n"
        let s = first + #"data: {"error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}}"# + "\r\n\r\n"
        let r = replay(.google, s, split: split)
        #expect(r.acc.text == "Hello")
        #expect(r.errors == [ProviderError(kind: .overloaded, status: 200, message: "The model is overloaded. Please try again later.")])
        #expect(!r.completed)
    }

    @Test func malformedChunkKeepsGoing() {
        let r = replay(.google, "data: {\"candidates\": [\r\n\r\n" + Fixtures.geminiCRLF)
        #expect(r.errors == [ProviderError(kind: .server, status: 200, message: "malformed stream event")])
        #expect(r.acc.text == "Hello there!")
        #expect(r.completed)
    }

    @Test func blockedPromptEndsTheStream() {
        let s = #"data: {"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":9,"totalTokenCount":9}}"# + "\r\n\r\n"
        let r = replay(.google, s)
        #expect(r.events == [.finish(.contentFilter), .usage(Usage(inputTokens: 9))])
        #expect(r.completed)
    }

    @Test(arguments: [("STOP", FinishReason.stop), ("MAX_TOKENS", .length), ("SAFETY", .contentFilter), ("RECITATION", .contentFilter),
                      ("BLOCKLIST", .contentFilter), ("PROHIBITED_CONTENT", .contentFilter), ("SPII", .contentFilter),
                      ("MALFORMED_FUNCTION_CALL", .error), ("OTHER", .stop)])
    func finishReasons(raw: String, expected: FinishReason) {
        let s = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]},\"finishReason\":\"\(raw)\",\"index\":0}]}\r\n\r\n"
        #expect(replay(.google, s).acc.finishReason == expected)
    }
}
