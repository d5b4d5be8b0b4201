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

/// The parser against a byte-at-a-time reading of the WHATWG rules, over generated streams
/// (every line ending, comments, fields without a colon, empty data, multi-line data, ids,
/// retries) cut at random places.
@Suite struct SSEParserReferenceTests {
    /// The rules, one byte at a time.
    static func reference(_ bytes: [UInt8]) -> [SSEEvent] {
        var out: [SSEEvent] = []
        var line: [UInt8] = [], data: [UInt8] = [], hasData = false
        var event: String? = nil, id: String? = nil, retry: Int? = nil
        var lastCR = false
        func endLine() {
            defer { line = [] }
            if line.isEmpty {
                if hasData { out.append(SSEEvent(event: event, data: String(decoding: data, as: UTF8.self), id: id, retry: retry)) }
                data = []; hasData = false; event = nil
                return
            }
            if line[0] == UInt8(ascii: ":") { return }
            let colon = line.firstIndex(of: UInt8(ascii: ":"))
            let name = String(decoding: line[..<(colon ?? line.count)], as: UTF8.self)
            var v = colon.map { line[($0 + 1)...] } ?? []
            if v.first == UInt8(ascii: " ") { v = v.dropFirst() }
            switch name {
            case "data": if hasData { data.append(0x0A) }; data += v; hasData = true
            case "event": event = String(decoding: v, as: UTF8.self)
            case "id": if !v.contains(0) { id = String(decoding: v, as: UTF8.self) }
            case "retry": if !v.isEmpty, v.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let r = Int(String(decoding: v, as: UTF8.self)) { retry = r }
            default: break
            }
        }
        for b in bytes {
            if lastCR { lastCR = false; if b == 0x0A { continue } }
            if b == 0x0A || b == 0x0D { lastCR = b == 0x0D; endLine() } else { line.append(b) }
        }
        if !line.isEmpty { endLine() }
        if hasData { out.append(SSEEvent(event: event, data: String(decoding: data, as: UTF8.self), id: id, retry: retry)) }
        return out
    }

    @Test(arguments: 0..<40)
    func generatedStreamsCutAnywhereMatchTheRules(seed: Int) {
        var rng = SplitMix64(seed: UInt64(seed) &+ 7)
        let endings = ["\n", "\r\n", "\r"]
        let lines = [
            "data: {\"choices\":[{\"delta\":{\"content\":\"hé\"}}]}", "data:x", "data", "data: ", "event: message_start",
            "event:ping", ": comment", ":", "id: 7", "id", "retry: 1500", "retry: 15x", "unknown: field", "data: two\u{0}nul",
            "", "", "data: [DONE]",
        ]
        var text = ""
        for _ in 0..<Int.random(in: 5...60, using: &rng) {
            text += lines.randomElement(using: &rng)! + endings.randomElement(using: &rng)!
        }
        if Bool.random(using: &rng) { text += "data: unterminated" }
        let bytes = Array(text.utf8)
        var parser = SSEParser()
        var events: [SSEEvent] = []
        var i = 0
        while i < bytes.count {
            let n = min(bytes.count - i, Int.random(in: 1...24, using: &rng))
            events += parser.feed(Array(bytes[i..<(i + n)]))
            i += n
        }
        events += parser.finish()
        #expect(events == Self.reference(bytes), "\(text.debugDescription)")
    }
}
