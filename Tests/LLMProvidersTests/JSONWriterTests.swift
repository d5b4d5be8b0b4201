import LLMJSON
import Testing

/// `JSONWriter.writeString` copies plain runs eight bytes at a time; every byte that needs an
/// escape must still get it, wherever it falls in a word, and nothing else may change.
@Suite struct JSONWriterTests {
    /// The escaping rules, one byte at a time: what the word scan must agree with.
    static func reference(_ s: String) -> [UInt8] {
        var out: [UInt8] = [0x22]
        let hex = Array("0123456789abcdef".utf8)
        for c in s.utf8 {
            switch c {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0..<0x20, 0x7F: out += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 0xF)]]
            default: out.append(c)
            }
        }
        out.append(0x22)
        return out
    }

    static func written(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.writeString(s, into: &out)
        return out
    }

    @Test func exactEscapes() {
        #expect(String(decoding: Self.written("a\"b\\c\nd\re\tf\u{0}g\u{1F}h\u{7F}i"), as: UTF8.self)
                == #""a\"b\\c\nd\re\tf\u0000g\u001fh\u007fi""#)
        #expect(String(decoding: Self.written(""), as: UTF8.self) == #""""#)
        #expect(String(decoding: Self.written("café ☕ 𝄞 plain words here"), as: UTF8.self) == "\"café ☕ 𝄞 plain words here\"")
        #expect(String(decoding: Self.written("exactly8"), as: UTF8.self) == "\"exactly8\"")
    }

    @Test("every byte that needs an escape, at every offset of a 24-byte string")
    func everyEscapeAtEveryOffset() {
        let specials: [UInt8] = Array(0..<0x20) + [0x22, 0x5C, 0x7F]
        for c in specials {
            for offset in 0..<24 {
                var bytes = Array(repeating: UInt8(ascii: "x"), count: 24)
                bytes[offset] = c
                let s = String(decoding: bytes, as: UTF8.self)
                #expect(Self.written(s) == Self.reference(s), "byte \(c) at \(offset)")
            }
        }
    }

    @Test("random strings of ASCII, controls and multi-byte characters match the byte-by-byte rules")
    func randomStrings() throws {
        var rng = SplitMix64(seed: 42)
        let pool: [String] = ["a", "Z", " ", "~", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1B}", "\u{7F}", "é", "☕", "𝄞", "\u{80}", "\u{FFFF}"]
        for _ in 0..<2000 {
            let n = Int(rng.next() % 40)
            var s = ""
            for _ in 0..<n {
                // Mostly plain letters, so long plain runs and words with one special both occur.
                s += rng.next() % 4 == 0 ? pool[Int(rng.next() % UInt64(pool.count))] : "p"
            }
            let out = Self.written(s)
            #expect(out == Self.reference(s), "\(Array(s.utf8))")
            // And it parses back to the same string.
            #expect(try JSONParser.parse(out) == .string(s))
        }
    }

    /// A whole value is written into a buffer of raw memory that starts at 1 KB and doubles:
    /// the same bytes as written piece by piece into an array, for values far past the first
    /// capacity, strings that cross a growth, and every kind of value nested.
    @Test("values written whole match the piece-by-piece writing, across the buffer's growth")
    func wholeValuesAcrossGrowth() throws {
        var rng = SplitMix64(seed: 7)
        let pool: [String] = ["a", "Z", " ", "\"", "\\", "\n", "\u{0}", "\u{7F}", "é", "☕", "𝄞"]
        func randomString(_ max: UInt64) -> String {
            var s = ""
            for _ in 0..<Int(rng.next() % max) { s += rng.next() % 3 == 0 ? pool[Int(rng.next() % UInt64(pool.count))] : "q" }
            return s
        }
        /// The reference: the value's text assembled from `reference` strings.
        func expected(_ v: JSONValue) -> [UInt8] {
            switch v {
            case .null: return Array("null".utf8)
            case .bool(let b): return Array((b ? "true" : "false").utf8)
            case .number(let n): return Array(n.text.utf8)
            case .string(let s): return Self.reference(s)
            case .array(let a): return Array("[".utf8) + Array(a.map(expected).joined(separator: [UInt8(ascii: ",")])) + Array("]".utf8)
            case .object(let o):
                return Array("{".utf8) + Array(o.map { Self.reference($0.0) + [UInt8(ascii: ":")] + expected($0.1) }
                                                .joined(separator: [UInt8(ascii: ",")])) + Array("}".utf8)
            }
        }
        for round in 0..<300 {
            var items: [JSONValue] = []
            for _ in 0..<Int(rng.next() % 60) {
                switch rng.next() % 6 {
                case 0: items.append(.string(randomString(round % 10 == 0 ? 3000 : 80)))
                case 1: items.append(.int(Int(truncatingIfNeeded: rng.next())))
                case 2: items.append(.bool(rng.next() % 2 == 0))
                case 3: items.append(.null)
                case 4: items.append(.object(JSONObject([(randomString(12), .string(randomString(40))), ("n", .int(round))])))
                default: items.append(.array([.string(randomString(30)), .null]))
                }
            }
            let value: JSONValue = .object(JSONObject([("items", .array(items)), (randomString(20), .string(randomString(200)))]))
            let want = expected(value)
            // (Compared first: a failure shows the round, not two long arrays.)
            let whole = JSONWriter.bytes(value) == want
            #expect(whole, "round \(round)")
            var prefixed = Array("x".utf8)
            JSONWriter.write(value, into: &prefixed)
            let appended = prefixed == Array("x".utf8) + want
            #expect(appended, "round \(round)")
            let line = JSONWriter.line(value) == want + [0x0A]
            #expect(line, "round \(round)")
            #expect(try JSONParser.parse(want) == value, "round \(round)")
        }
        // One string of 1 MB: many doublings from 1 KB.
        let big = String(repeating: "ab\"c", count: 262_144)
        let bigSame = JSONWriter.bytes(.array([.string(big)])) == [UInt8(ascii: "[")] + Self.reference(big) + [UInt8(ascii: "]")]
        #expect(bigSame, "a 1 MB string")
    }
}
