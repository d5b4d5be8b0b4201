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
}
