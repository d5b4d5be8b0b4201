import LLMDomain
import Testing
@testable import LLMProviders

/// Gemini's streamed chunk fast path (`commonChunk`, no JSON tree but for `usageMetadata`)
/// must give, through the parser's state, exactly what the full parse (`anyChunk`) gives.
@Suite struct GeminiChunkFastPathTests {
    /// Events and completion of `chunks` (each one `data:` event) through `feed`, which takes
    /// the fast path where it can.
    func viaFeed(_ chunks: [String]) -> ([ChatEvent], Bool) {
        var parser = GeminiStreamParser()
        var events: [ChatEvent] = []
        for c in chunks { events += parser.feed(Array(("data: " + c + "\r\n\r\n").utf8)) }
        events += parser.finish()
        return (events, parser.completed)
    }

    /// The same through the full parse only.
    func viaFull(_ chunks: [String]) -> ([ChatEvent], Bool) {
        var parser = GeminiStreamParser()
        var events: [ChatEvent] = []
        for c in chunks { parser.anyChunk(SSEEvent(data: c), atEnd: false, into: &events) }
        return (events, parser.completed)
    }

    func isCommon(_ chunk: String) -> Bool {
        Array(chunk.utf8).withUnsafeBufferPointer { GeminiStreamParser.commonChunk($0) } != nil
    }

    static let usage = #""usageMetadata": {"promptTokenCount": 8, "cachedContentTokenCount": 2, "candidatesTokenCount": 3, "thoughtsTokenCount": 4, "totalTokenCount": 15, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 8}]}"#

    static let common = [
        #"{"candidates": [{"content": {"parts": [{"text": "Hello"}], "role": "model"}, "index": 0}], "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8}, "modelVersion": "gemini-2.0-flash", "responseId": "abc"}"#,
        #"{"candidates": [{"content": {"parts": [{"text": "pondering", "thought": true}, {"text": " world", "thought": false}, {"text": ""}], "role": "model"}}], "#
            + usage + "}",
        #"{"candidates": [{"content": {"parts": [{"text": "caf\u00e9 😀\n", "thoughtSignature": "CiIB..."}], "role": "model"}, "finishReason": "STOP", "index": 0}], "#
            + usage + "}",
        #"{"candidates": [{"content": {"parts": [{"text": "cut"}], "role": "model"}, "finishReason": "MAX_TOKENS"}], "usageMetadata": null}"#,
        #"{"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": "AAAA"}}, {"text": null}], "role": "model"}, "finishReason": "SAFETY"}]}"#,
        #"{"candidates": [{"index": 1, "content": {"parts": [{"text": "other candidate"}]}, "finishReason": "STOP"}]}"#,
        #"{"candidates": [], "# + usage + "}",
        #"{"candidates": [{"content": {"parts": [{"text": "x", "thought": "yes"}]}}], "error": null}"#,
    ]

    @Test(arguments: common)
    func commonChunksTakeTheFastPathAndAgree(_ chunk: String) {
        #expect(isCommon(chunk))
        #expect(viaFeed([chunk]) == viaFull([chunk]))
    }

    @Test func aWholeStreamAgreesChunkByChunk() {
        let stream = Self.common + [#"{"candidates": [{"content": {"parts": [{"text": "!"}]}, "finishReason": "STOP"}], "# + Self.usage + "}"]
        let (events, completed) = viaFeed(stream)
        #expect((events, completed) == viaFull(stream))
        #expect(completed)
        #expect(events.contains(ChatEvent.textDelta("Hello")) && events.contains(ChatEvent.reasoningDelta("pondering")))
    }

    /// After a function call (full parse), a common chunk's finish reason still says tool calls.
    @Test func aFunctionCallEarlierInTheStreamShapesTheFinishReason() {
        let stream = [
            #"{"candidates": [{"content": {"parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}], "role": "model"}}]}"#,
            #"{"candidates": [{"content": {"parts": [{"text": "done"}]}, "finishReason": "STOP"}], "# + Self.usage + "}",
        ]
        #expect(!isCommon(stream[0]) && isCommon(stream[1]))
        let (events, completed) = viaFeed(stream)
        #expect(events.filter { if case .finish = $0 { return true } else { return false } } == [.finish(.toolCalls)])
        #expect(events.count == viaFull(stream).0.count && completed == viaFull(stream).1)
    }

    /// Chunks left to the full parse.
    @Test(arguments: [
        #"{"candidates": [{"content": {"parts": [{"functionCall": {"id": "fc1", "name": "f", "args": {}}}]}}]}"#,
        #"{"candidates": [{"content": {"parts": [{"text": "a"}]}}, {"content": {"parts": [{"text": "b"}]}}]}"#,
        #"{"candidates": [], "promptFeedback": {"blockReason": "SAFETY"}}"#,
        #"{"error": {"code": 429, "message": "Resource exhausted", "status": "RESOURCE_EXHAUSTED"}}"#,
        #"{"candidates": [{"content": {"parts": [{"text": "a", "text": "b"}]}}]}"#,
        #"{"candidates": [{"content": {"parts": [{"\u0074ext": "escaped"}]}}]}"#,
        #"{"candidates": [{"index": 0.0, "content": {"parts": [{"text": "a"}]}}]}"#,
        #"{"candidates": [{"content": {"parts": [{"text": 5}]}}]}"#,
        #"{"candidates": [{"content": {"parts": "text"}}]}"#,
        #"{"candidates": {"content": {}}}"#,
        #"{"candidates": [], "usageMetadata": 7}"#,
        #"{"candidates": [{"content": {"parts": [{"text": "a"}]}}]"#,
        "not json",
    ])
    func otherChunksFallBack(_ chunk: String) {
        #expect(!isCommon(chunk))
        #expect(viaFeed([chunk]) == viaFull([chunk]))
    }
}
