import LLMDomain
import Testing
@testable import LLMProviders

/// The streamed chunk's fast path (`commonChunk`, no JSON tree) must answer exactly what the
/// full parse (`anyChunk`) answers, and give up (nil) on whatever it does not handle.
@Suite struct OpenAIChunkFastPathTests {
    static let head = #""id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1733000000,"model":"gpt-4o-mini","system_fingerprint":"fp_1","#

    func fast(_ text: String) -> [ChatEvent]? {
        Array(text.utf8).withUnsafeBufferPointer { OpenAIStreamParser.commonChunk($0) }
    }

    func full(_ text: String) -> [ChatEvent] {
        var out: [ChatEvent] = []
        OpenAIStreamParser.anyChunk(text, atEnd: false, into: &out)
        return out
    }

    /// Chunks the fast path reads, with what both paths give.
    @Test(arguments: [
        ("{" + head + #""choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}"#, [ChatEvent]()),
        ("{" + head + #""choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}]}"#, [.textDelta("Hello")]),
        ("{" + head + #""choices":[{"index":0,"delta":{"content":"caf\u00e9 \"q\"\n😀"},"finish_reason":null}]}"#, [.textDelta("café \"q\"\n😀")]),
        ("{" + head + #""choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"length"}],"usage":null}"#, [.finish(.length)]),
        (#"{"choices":[{"index":0,"delta":{"reasoning_content":"think","content":"a"},"finish_reason":"stop"}]}"#, [.reasoningDelta("think"), .textDelta("a"), .finish(.stop)]),
        (#"{"choices":[{"index":0,"delta":{"reasoning_content":"","reasoning":"ignored"}}]}"#, []),
        (#"{"choices":[{"index":0,"delta":{"reasoning_content":null,"reasoning":"used"}}]}"#, [.reasoningDelta("used")]),
        (#"{"choices":[{"index":0,"delta":{"refusal":"no","tool_calls":null}}],"error":null}"#, [.textDelta("no")]),
        (#"{"choices":[{"delta":{"content":"no index"}}]}"#, [.textDelta("no index")]),
        (#"{"choices":[{"index":1,"delta":{"content":"other"}},{"index":0,"delta":{"content":"mine"}}]}"#, [.textDelta("mine")]),
        (#"{"choices":[],"usage":null}"#, []),
        (#"{"object":"chat.completion.chunk","extra":{"nested":[1,{"x":"\u0041"}]}}"#, []),
        (" {\"choices\" : [ { \"index\" : 0 , \"delta\" : { \"content\" : \"ws\" } } ] } \n", [.textDelta("ws")]),
    ] as [(String, [ChatEvent])])
    func commonChunksAreReadWithoutTheTree(_ text: String, _ expected: [ChatEvent]) {
        #expect(full(text) == expected)
        #expect(fast(text) == expected)
    }

    /// Chunks left to the full parse: the fast path gives nil.
    @Test(arguments: [
        #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":""}}]}}]}"#,
        #"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}"#,
        #"{"error":{"message":"boom","type":"server_error","param":null,"code":null}}"#,
        #"{"choices":[{"index":0,"delta":{"content":"a","content":"b"}}]}"#,
        #"{"choices":[{"index":0,"delta":{"\u0063ontent":"escaped key"}}]}"#,
        #"{"choices":[{"index":0.0,"delta":{"content":"index 0.0"}}]}"#,
        #"{"choices":[{"index":null,"delta":{"content":"null index"}}]}"#,
        #"{"choices":[{"index":0,"delta":{"content":7}}]}"#,
        #"{"choices":[{"index":0,"delta":"text"}]}"#,
        #"{"choices":["not an object"]}"#,
        #"{"choices":{"index":0}}"#,
        #"{"choices":[],"choices":[{"index":0,"delta":{"content":"second"}}]}"#,
        #"{"choices":[{"index":0,"delta":{"content":"a"}}]"#,
        #"{"choices":[{"index":0,"delta":{"content":"a"}}]} trailing"#,
        #"{oops}"#,
        #"[1]"#,
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\u{01}\"}}]}",
    ])
    func otherChunksFallBackToTheFullParse(_ text: String) {
        #expect(fast(text) == nil)
    }

    @Test func bothPathsAgreeOnTheFallbackCorpusWhereTheFastPathAnswers() {
        // A small mutation corpus: every prefix of a common chunk (all malformed but the whole).
        let chunk = "{" + Self.head + #""choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null}"#
        let bytes = Array(chunk.utf8)
        var answered = 0
        for end in 1...bytes.count {
            let text = String(decoding: bytes[0..<end], as: UTF8.self)
            if let events = fast(text) {
                answered += 1
                #expect(events == full(text), "\(text)")
            }
        }
        #expect(answered == 1)  // only the whole chunk is valid JSON
    }
}
