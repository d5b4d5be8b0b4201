import Testing
@testable import LLMProviders

@Suite struct SSEParserTests {
    func parse(_ s: String, split: Split = .whole) -> [SSEEvent] {
        var p = SSEParser()
        var out: [SSEEvent] = []
        for piece in split.pieces(Array(s.utf8)) { out += p.feed(piece) }
        return out + p.finish()
    }

    @Test func eventDataIdRetryAndComments() {
        let s = ": hello comment\nevent: greet\nid: 7\nretry: 1500\ndata: a\ndata:b\ndata:  c\n\ndata: next\n\n"
        #expect(parse(s) == [
            SSEEvent(event: "greet", data: "a\nb\n c", id: "7", retry: 1500),
            SSEEvent(event: nil, data: "next", id: "7", retry: 1500),
        ])
    }

    @Test(arguments: Split.allCases) func lineEndingsLFCRLFAndCR(split: Split) {
        let expected = [SSEEvent(event: "x", data: "1"), SSEEvent(data: "2\n3"), SSEEvent(data: "4")]
        #expect(parse("event: x\ndata: 1\n\ndata: 2\ndata: 3\n\ndata: 4\n\n", split: split) == expected)
        #expect(parse("event: x\r\ndata: 1\r\n\r\ndata: 2\r\ndata: 3\r\n\r\ndata: 4\r\n\r\n", split: split) == expected)
        #expect(parse("event: x\rdata: 1\r\rdata: 2\rdata: 3\r\rdata: 4\r\r", split: split) == expected)
    }

    @Test func crAndLfSplitAcrossFeeds() {
        var p = SSEParser()
        #expect(p.feed(Array("data: a\r".utf8)) == [])
        #expect(p.feed(Array("\n\r".utf8)) == [SSEEvent(data: "a")])
        // The LF after a lone CR line end must not count as another (blank) line.
        #expect(p.feed(Array("\ndata: b\n".utf8)) == [])
        #expect(p.feed(Array("\n".utf8)) == [SSEEvent(data: "b")])
    }

    @Test func finalEventWithoutBlankLineIsFlushedByFinish() {
        var p = SSEParser()
        #expect(p.feed(Array("data: one\n\ndata: two".utf8)) == [SSEEvent(data: "one")])
        #expect(p.finish() == [SSEEvent(data: "two")])
        #expect(p.finish() == [])
    }

    @Test func utf8SplitInsideACharacter() {
        let s = "data: héllo → 世界 🎉\n\n"
        for split in Split.allCases {
            #expect(parse(s, split: split) == [SSEEvent(data: "héllo → 世界 🎉")])
        }
    }

    @Test func fieldsWithoutDataAreNotDispatchedAndUnknownFieldsIgnored() {
        #expect(parse("event: lonely\n\nfoo: bar\ndata\n\n") == [SSEEvent(data: "")])
        #expect(parse("retry: soon\ndata: x\n\n") == [SSEEvent(data: "x")])
    }
}
