import LLMDomain
import Testing
@testable import LLMProviders

/// The streamed text delta's fast path (`commonDelta`, no JSON tree) must answer exactly what
/// the full parse (`anyEvent`) answers, and give up (nil) on whatever it does not handle.
@Suite struct AnthropicDeltaFastPathTests {
    func fast(_ data: String, _ event: String?) -> [ChatEvent]? {
        Array(data.utf8).withUnsafeBufferPointer { AnthropicStreamParser.commonDelta($0, eventName: event) }
    }

    func full(_ data: String, _ event: String?) -> [ChatEvent] {
        var parser = AnthropicStreamParser()
        var out: [ChatEvent] = []
        parser.anyEvent(SSEEvent(event: event, data: data), atEnd: false, into: &out)
        return out
    }

    /// Events the fast path reads, with what both paths give; each with and without `event:`.
    @Test(arguments: [
        (#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#, [ChatEvent.textDelta("Hello")]),
        (#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"caf\u00e9 \"q\"\n😀"}}"#, [.textDelta("café \"q\"\n😀")]),
        (#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":""}}"#, []),
        (#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":null}}"#, []),
        (#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}"#, [.reasoningDelta("hmm")]),
        (#"{"type":"content_block_delta","index":1,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM"}}"#, []),
        (#"{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{"type":"char_location","cited_text":"x"}}}"#, []),
        (#"{"delta":{"text":"type after","type":"text_delta"},"type":"content_block_delta"}"#, [.textDelta("type after")]),
        (#" { "type" : "content_block_delta" , "delta" : { "type" : "text_delta" , "text" : "ws" } } "#, [.textDelta("ws")]),
    ] as [(String, [ChatEvent])])
    func commonDeltasAreReadWithoutTheTree(_ data: String, _ expected: [ChatEvent]) {
        for event in ["content_block_delta", nil] as [String?] {
            #expect(full(data, event) == expected)
            #expect(fast(data, event) == expected)
        }
    }

    /// The `event:` name decides, as in the full parse, whatever the JSON's own type says.
    @Test func theEventNameWinsOverTheJSONType() {
        let data = #"{"type":"something_else","delta":{"type":"text_delta","text":"named"}}"#
        #expect(full(data, "content_block_delta") == [.textDelta("named")])
        #expect(fast(data, "content_block_delta") == [.textDelta("named")])
        #expect(fast(data, nil) == nil)
    }

    /// Events left to the full parse: the fast path gives nil.
    @Test(arguments: [
        #"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}"#,
        #"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}"#,
        #"{"type":"content_block_delta","delta":{"type":"text_delta","text":"a","text":"b"}}"#,
        #"{"type":"content_block_delta","delta":{"type":"text_delta","\u0074ext":"escaped key"}}"#,
        #"{"type":"content_block_delta","delta":{"type":"text_delta","text":7}}"#,
        #"{"type":"content_block_delta","delta":"text"}"#,
        #"{"type":"content_block_delta","delta":{"type":"text_delta","text":"a"}"#,
        #"{"type":"content_block_delta","delta":{"type":"text_delta","text":"a"}} x"#,
        #"[1]"#,
    ])
    func otherEventsFallBackToTheFullParse(_ data: String) {
        #expect(fast(data, nil) == nil)
    }

    @Test func aWholeStreamGivesTheSameEventsThroughEitherPath() {
        var parser = AnthropicStreamParser()
        let events = parser.feed(Array(Fixtures.anthropicBasic.utf8)) + parser.finish()
        var reference = AnthropicStreamParser()
        var expected: [ChatEvent] = []
        var sse = SSEParser()
        for e in sse.feed(Array(Fixtures.anthropicBasic.utf8)) + sse.finish() {
            if let name = e.event, !["message_start", "content_block_start", "content_block_delta", "content_block_stop",
                                     "message_delta", "message_stop", "error"].contains(name) { continue }
            reference.anyEvent(e, atEnd: false, into: &expected)
        }
        #expect(events == expected)
        #expect(events.contains(.textDelta("Hello")))
    }
}
