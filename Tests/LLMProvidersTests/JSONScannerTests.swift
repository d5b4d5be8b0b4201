import LLMJSON
import Testing

/// JSONScanner reads members without building a tree; what it passes over it must validate
/// exactly as strictly as JSONParser, or a stream chunk the parser rejects could be accepted.
@Suite struct JSONScannerTests {
    /// Runs `body` over the UTF-8 bytes of `text`.
    func scan<T>(_ bytes: [UInt8], _ body: (inout JSONScanner) throws -> T) throws -> T {
        try bytes.withUnsafeBufferPointer { buf in
            var s = JSONScanner(buf)
            return try body(&s)
        }
    }

    @Test func readsMembersOfAKnownShape() throws {
        let text = #" { "id" : "c-1", "n": -42, "skip": {"deep": [1, 2.5e3, true, false, null, "x"]}, "list": ["a", null], "t": "caf\u00e9\n" } "#
        let (id, n, list, t, keys) = try scan(Array(text.utf8)) { s -> (String, Int, [String?], String, [String]) in
            var id = "", n = 0, list: [String?] = [], t = "", keys: [String] = []
            try s.beginObject()
            while let key = try s.nextKey() {
                keys.append(String(decoding: key.raw, as: UTF8.self))
                #expect(key.isPlain)
                if key == "id" { id = try s.string() }
                else if key == "n" { n = try s.integer() }
                else if key == "list" {
                    try s.beginArray()
                    while try s.nextElement() { list.append(try s.stringOrNull()) }
                } else if key == "t" { t = try s.string() }
                else { try s.skipValue() }
            }
            try s.finish()
            return (id, n, list, t, keys)
        }
        #expect(id == "c-1")
        #expect(n == -42)
        #expect(list == ["a", nil])
        #expect(t == "café\n")
        #expect(keys == ["id", "n", "skip", "list", "t"])
    }

    @Test func keysWithEscapesOrNonASCIIAreNotPlain() throws {
        let plain = try scan(Array(#"{"\u0063ontent":1,"clé":2,"content":3}"#.utf8)) { s -> [Bool] in
            var out: [Bool] = []
            try s.beginObject()
            while let key = try s.nextKey() {
                out.append(key.isPlain)
                #expect(!(key == "ontent"))
                try s.skipValue()
            }
            return out
        }
        #expect(plain == [false, false, true])
    }

    @Test func typeMismatchesThrow() throws {
        #expect(throws: JSONParseError.self) { try scan(Array(#"[1]"#.utf8)) { try $0.beginObject() } }
        #expect(throws: JSONParseError.self) { try scan(Array(#"1"#.utf8)) { try $0.string() } }
        #expect(throws: JSONParseError.self) { try scan(Array(#"true"#.utf8)) { try $0.stringOrNull() } }
        #expect(throws: JSONParseError.self) { try scan(Array(#"1.0"#.utf8)) { try $0.integer() } }
        #expect(throws: JSONParseError.self) { try scan(Array(#"1e3"#.utf8)) { try $0.integer() } }
        #expect(throws: JSONParseError.self) { try scan(Array(#"99999999999999999999"#.utf8)) { try $0.integer() } }
        #expect(try scan(Array(#"null"#.utf8)) { try $0.stringOrNull() } == nil)
        #expect(try scan(Array(#" -0 "#.utf8)) { s in try s.integer() } == 0)
    }

    /// Every input: skipping it whole succeeds exactly when JSONParser accepts it.
    @Test(arguments: [
        // accepted
        #"{"a":[1,2,{"b":null}],"c":"\u00e9\n\"","d":-1.5e+3,"e":0,"f":true,"g":false}"#, "[]", "{}", " \t\n[ ] ",
        #""\ud83d\ude00""#, "\"é\"", "0", "-0.0E-0", #"[[[[]]]]"#, #"{"":""}"#,
        // rejected
        "{", "}", "[", #"{"a":}"#, #"{"a":1,}"#, "[1,]", "[,1]", #"{"a" 1}"#, #"{a:1}"#, "01", "1.", "-", "1e", "1e+",
        ".5", "+1", "tru", "nul", "fals", "{} x", "[1] [2]", #""\ud800""#, #""\udc00x""#, #""\x""#, #""\u12""#,
        "\"a\u{01}b\"", "\"unterminated", "", "   ", #"{"a":1 "b":2}"#, "[1 2]", "[01]", "NaN", "'a'",
    ])
    func skippingValidatesLikeTheParser(_ text: String) {
        let bytes = Array(text.utf8)
        let parsed = (try? JSONParser.parse(bytes)) != nil
        let skipped = (try? scan(bytes) { s -> Bool in try s.skipValue(); try s.finish(); return true }) ?? false
        #expect(parsed == skipped, "\(text): parser \(parsed), scanner \(skipped)")
    }

    @Test func invalidUTF8AndDepthAreRejectedLikeTheParser() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x7B, 0x22, 0xFE, 0x22, 0x3A, 0x31, 0x7D],
                               Array(String(repeating: "[", count: 300).utf8) + Array(String(repeating: "]", count: 300).utf8),
                               Array(String(repeating: "[", count: 200).utf8) + Array(String(repeating: "]", count: 200).utf8)] {
            let parsed = (try? JSONParser.parse(bytes)) != nil
            let skipped = (try? scan(bytes) { s -> Bool in try s.skipValue(); try s.finish(); return true }) ?? false
            #expect(parsed == skipped, "\(bytes.prefix(8)): parser \(parsed), scanner \(skipped)")
        }
    }

    @Test func unfinishedContainersAndTrailingDataFailFinish() {
        #expect(throws: JSONParseError.self) { try scan(Array(#"{"a":1"#.utf8)) { s in try s.beginObject(); _ = try s.nextKey(); try s.skipValue(); try s.finish() } }
        #expect(throws: JSONParseError.self) { try scan(Array(#"{} {}"#.utf8)) { s in try s.beginObject(); _ = try s.nextKey(); try s.finish() } }
        #expect(throws: JSONParseError.self) { try scan(Array(#"[1 2]"#.utf8)) { s in try s.beginArray(); _ = try s.nextElement(); _ = try s.integer(); _ = try s.nextElement() } }
    }

    /// Strings are passed over eight bytes at a time: whatever ends a plain run (an escape,
    /// a non-ASCII character, a control character, invalid UTF-8, the closing quote) must be
    /// seen at every position in and around a word.
    @Test func everySpecialByteIsSeenAtEveryOffset() throws {
        let cases: [(insert: [UInt8], decoded: String?)] = [
            (Array(#"\n"#.utf8), "\n"), (Array(#"\""#.utf8), "\""), (Array(#"\u00e9"#.utf8), "é"),
            (Array("é".utf8), "é"), (Array("😀".utf8), "😀"), ([0x01], nil), ([0x1F], nil), ([0xFF], nil),
            ([0x7F], "\u{7F}"), ([0x20], " "),
        ]
        for (insert, decoded) in cases {
            for k in 0..<24 {
                let inner = Array(repeating: UInt8(ascii: "a"), count: k) + insert + Array("bcdefghij".utf8)
                let bytes = [UInt8(ascii: "\"")] + inner + [UInt8(ascii: "\"")]
                let parsed = try? JSONParser.parse(bytes)
                let expected = decoded.map { JSONValue.string(String(repeating: "a", count: k) + $0 + "bcdefghij") }
                #expect(parsed == expected, "insert \(insert) at \(k)")
                let skipped = (try? scan(bytes) { s -> Bool in try s.skipValue(); try s.finish(); return true }) ?? false
                #expect(skipped == (expected != nil), "skip: insert \(insert) at \(k)")
                // The closing quote at every offset, with text after it: the string ends there.
                let early = [UInt8(ascii: "["), UInt8(ascii: "\"")] + Array(repeating: UInt8(ascii: "a"), count: k)
                    + Array(#"","x"]"#.utf8)
                #expect(try JSONParser.parse(early) == .array([.string(String(repeating: "a", count: k)), .string("x")]))
            }
        }
    }

    @Test func readObjectGivesNamedMembersOnceAndRefusesRepeatsAndEscapes() throws {
        let names: [StaticString] = ["a", "list", "n"]
        func read(_ text: String) throws -> (Bool, [String]) {
            try scan(Array(text.utf8)) { s -> (Bool, [String]) in
                var got: [String] = []
                let ok = try s.readObject(names) { s, member in
                    switch member {
                    case 0: got.append("a=" + (try s.stringOrNull() ?? "null"))
                    case 1: return try s.readArray { s in got.append("item=\(try s.integer())"); return true }
                    default: try s.null(); got.append("n")
                    }
                    return true
                }
                if ok { try s.finish() }
                return (ok, got)
            }
        }
        #expect(try read(#"{"x":{"deep":[1,{"a":2}]},"a":"1","list":[1,2],"n":null,"y":true}"#) == (true, ["a=1", "item=1", "item=2", "n"]))
        #expect(try read(#"{"a":"1","a":"2"}"#).0 == false)
        #expect(try read(#"{"\u0061":"escaped"}"#).0 == false)
        #expect(try read(#"{"x":1,"y":[]}"#) == (true, []))
        #expect(throws: JSONParseError.self) { try read(#"{"n":0}"#) }
        #expect(throws: JSONParseError.self) { try read(#"{"list":{}}"#) }
    }
}
