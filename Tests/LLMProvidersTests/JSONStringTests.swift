import LLMJSON
import Testing

/// JSON strings are scanned eight bytes at a time (`StringWord`), jumping to the first byte that
/// ends a plain run; bytes beyond ASCII are scanned the same way, and the runs between escapes
/// are copied whole. What is decoded, skipped or written must still be exactly what a
/// byte-by-byte reading gives, wherever a special byte falls in a word.
@Suite struct JSONStringTests {
    /// A decoded string, or the parser's error message.
    enum Decoded: Equatable {
        case string(String)
        /// The parser's message and the offset it gives.
        case error(String, Int)
        var isString: Bool { if case .string = self { return true } else { return false } }
    }

    /// RFC 8259's two-character escapes: the letter after the backslash, and the byte it stands for.
    static let shortEscapes: [UInt8: UInt8] = Dictionary(uniqueKeysWithValues: zip(
        Array(#""\/bfnrt"#.utf8), [0x22, 0x5C, 0x2F, 0x08, 0x0C, 0x0A, 0x0D, 0x09]))

    /// Decodes the JSON string starting at `bytes[0]` (a quote) one byte at a time, with the
    /// parser's rules, error order and error offsets: control characters and escapes as they
    /// come, the end of input, then UTF-8 validity at the closing quote.
    static func reference(_ bytes: [UInt8]) -> Decoded {
        var out: [UInt8] = []
        var i = 1
        var escaped = false
        func hex4() -> UInt32? {
            guard i + 4 <= bytes.count else { return nil }
            var v: UInt32 = 0
            for _ in 0..<4 {
                guard let d = UInt32(String(UnicodeScalar(bytes[i])), radix: 16) else { return nil }
                v = v << 4 | d
                i += 1
            }
            return v
        }
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x22 {
                // Without escapes the string is checked at its quote, with them just after it.
                if escaped { i += 1 }
                guard let s = String(validating: out, as: UTF8.self) else { return .error("invalid UTF-8 in a string", i) }
                return .string(s)
            }
            if c < 0x20 { return .error("control character in a string", i) }
            i += 1
            if c != 0x5C { out.append(c); continue }
            escaped = true
            guard i < bytes.count else { break }
            let e = bytes[i]
            i += 1
            if let byte = Self.shortEscapes[e] {
                out.append(byte)
                continue
            }
            switch e {
            case UInt8(ascii: "u"):
                guard var scalar = hex4() else { return .error("invalid \\u escape", i) }
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard i + 1 < bytes.count, bytes[i] == 0x5C, bytes[i + 1] == UInt8(ascii: "u") else {
                        return .error("lone surrogate in a string", i)
                    }
                    i += 2
                    guard let low = hex4() else { return .error("invalid \\u escape", i) }
                    guard low >= 0xDC00 && low < 0xE000 else { return .error("lone surrogate in a string", i) }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    return .error("lone surrogate in a string", i)
                }
                out += Array(String(Character(Unicode.Scalar(scalar)!)).utf8)
            default: return .error("invalid escape", i)
            }
        }
        return .error("unterminated string", bytes.count)
    }

    /// What the parser makes of `bytes` as a whole document.
    static func parsed(_ bytes: [UInt8]) -> Decoded {
        do {
            guard case .string(let s) = try JSONParser.parse(bytes) else { return .error("not a string", -1) }
            return .string(s)
        } catch let e as JSONParseError {
            return .error(e.message, e.offset)
        } catch {
            return .error("\(error)", -1)
        }
    }

    /// Whether the scanner accepts `bytes` as a member it is told to skip.
    static func skipped(_ bytes: [UInt8]) -> Bool {
        let doc = Array(#"{"skip":"#.utf8) + bytes + Array(#","k":1}"#.utf8)
        return doc.withUnsafeBufferPointer { buf -> Bool in
            var s = JSONScanner(buf)
            do {
                try s.beginObject()
                while let key = try s.nextKey() {
                    if key == "k" { _ = try s.integer() } else { try s.skipValue() }
                }
                try s.finish()
                return true
            } catch {
                return false
            }
        }
    }

    /// Pieces a string is made of: plain and non-ASCII text, escapes, and bytes that make it
    /// invalid (a raw control character, broken UTF-8, a bad escape, a lone surrogate).
    static let valid: [[UInt8]] = [
        "a", "plain", "0123456789abcdef", "é", "漢字", "😀", "ÿ", #"\""#, #"\\"#, #"\/"#, #"\b"#, #"\f"#, #"\n"#,
        #"\r"#, #"\t"#, #"\u00e9"#, #"\u6f22"#, #"\ud83d\ude00"#, #"\u0000"#, "\u{7F}", " ",
    ].map { Array($0.utf8) }
    static let invalid: [[UInt8]] = [
        [0x01], [0x1F], [0x0A], [0xFF], [0x80], [0xE6, 0xBC], [0xC3], Array(#"\x"#.utf8), Array(#"\u12"#.utf8),
        Array(#"\ud83d"#.utf8), Array(#"\ude00"#.utf8), [0xED, 0xA0, 0x80],
    ]

    @Test("random strings: the parser, the scanner's skip and a byte-by-byte reading agree")
    func randomStringsAgree() {
        var rng = SplitMix64(seed: 7)
        var failures = 0, successes = 0
        for round in 0..<20_000 {
            var body: [UInt8] = []
            let pieces = Int(rng.next() % 24)
            for _ in 0..<pieces {
                let r = rng.next() % 100
                if r < 55 {
                    body += Self.valid[0]  // mostly plain, so long plain runs occur
                } else if r < 97 {
                    body += Self.valid[Int(rng.next() % UInt64(Self.valid.count))]
                } else {
                    body += Self.invalid[Int(rng.next() % UInt64(Self.invalid.count))]
                }
            }
            let closed = round % 50 != 0
            let bytes = [0x22] + body + (closed ? [0x22] : [])
            let expected = Self.reference(bytes)
            let got = Self.parsed(bytes)
            #expect(got == expected, "\(bytes)")
            #expect(Self.skipped(bytes) == expected.isString, "skip \(bytes)")
            if case .string(let s) = expected {
                successes += 1
                // Written back, it reads the same.
                var out: [UInt8] = []
                JSONWriter.writeString(s, into: &out)
                #expect(Self.parsed(out) == .string(s))
            } else {
                failures += 1
            }
        }
        #expect(successes > 5_000 && failures > 1_000)
    }

    @Test("\\u escapes at the edges of each UTF-8 length decode to the right scalar")
    func unicodeEscapeEdges() {
        let cases: [(String, UInt32)] = [
            ("0000", 0), ("007f", 0x7F), ("0080", 0x80), ("07ff", 0x7FF), ("0800", 0x800), ("d7ff", 0xD7FF),
            ("e000", 0xE000), ("fffd", 0xFFFD), ("ffff", 0xFFFF), ("d800\\udc00", 0x10000), ("dbff\\udfff", 0x10FFFF),
        ]
        for (hex, value) in cases {
            let bytes = Array("\"a\\u\(hex)b\\u\(hex)\\u\(hex)\"".utf8)
            let c = Character(Unicode.Scalar(value)!)
            #expect(Self.parsed(bytes) == .string("a\(c)b\(c)\(c)"), "\\u\(hex)")
            #expect(Self.parsed(bytes) == Self.reference(bytes), "\\u\(hex)")
        }
    }

    @Test("a special byte at every offset of a string of non-ASCII text")
    func specialsAmongNonASCII() {
        let specials: [UInt8] = Array(0..<0x20) + [0x22, 0x5C, 0x7F]
        // 2-, 3- and 4-byte characters, so a special byte meets every alignment of them.
        let text = Array("é漢😀é漢😀é漢".utf8)
        for c in specials {
            for offset in 0...text.count {
                // Only between characters: a special byte inside one would be broken UTF-8.
                guard offset == text.count || text[offset] & 0xC0 != 0x80 else { continue }
                let s = String(decoding: Array(text[..<offset]) + [c] + Array(text[offset...]), as: UTF8.self)
                var out: [UInt8] = []
                JSONWriter.writeString(s, into: &out)
                #expect(out == JSONWriterTests.reference(s), "byte \(c) at \(offset)")
                #expect(Self.parsed(out) == .string(s), "byte \(c) at \(offset)")
                // Unescaped (a quote would end the string), a control character is refused
                // wherever it is, a backslash starts an escape, DEL is plain text.
                guard c != 0x22 else { continue }
                let raw = [0x22] + Array(text[..<offset]) + [c] + Array(text[offset...]) + [0x22]
                #expect(Self.parsed(raw) == Self.reference(raw), "raw byte \(c) at \(offset)")
            }
        }
    }
}
