/// A strict RFC 8259 parser over UTF-8 bytes: invalid UTF-8, lone surrogates, control
/// characters in strings, trailing garbage and nesting deeper than `maxDepth` are errors.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let offset: Int
    public var description: String { "\(message) at byte \(offset)" }
}

public enum JSONParser {
    public static let defaultMaxDepth = 256

    public static func parse<C: Collection>(_ bytes: C, maxDepth: Int = defaultMaxDepth) throws -> JSONValue
    where C.Element == UInt8 {
        if let r = try bytes.withContiguousStorageIfAvailable({ try parse(buffer: $0, maxDepth: maxDepth) }) {
            return r
        }
        let a = Array(bytes)
        return try a.withUnsafeBufferPointer { try parse(buffer: $0, maxDepth: maxDepth) }
    }

    public static func parse(_ string: String, maxDepth: Int = defaultMaxDepth) throws -> JSONValue {
        var s = string
        return try s.withUTF8 { try parse(buffer: $0, maxDepth: maxDepth) }
    }

    public static func parse(buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int = defaultMaxDepth) throws -> JSONValue {
        var p = Parser(buf: buffer, maxDepth: maxDepth)
        p.skipWS()
        let v = try p.value(depth: 0)
        p.skipWS()
        if p.i != buffer.count { throw p.error("unexpected data after the JSON value") }
        return v
    }
}

/// The parser's state; `JSONScanner` reads with it too.
struct Parser {
    let buf: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var i = 0

    init(buf: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.buf = buf
        self.maxDepth = maxDepth
    }

    func error(_ m: String) -> JSONParseError { JSONParseError(message: m, offset: i) }

    mutating func skipWS() {
        while i < buf.count {
            let c = buf[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { break }
        }
    }

    mutating func value(depth: Int) throws -> JSONValue {
        guard i < buf.count else { throw error("unexpected end of input") }
        switch buf[i] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("unexpected character")
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard i + n <= buf.count else { throw error("invalid literal") }
        let p = word.utf8Start
        for k in 0..<n where buf[i + k] != p[k] { throw error("invalid literal") }
        i += n
    }

    mutating func object(depth: Int) throws -> JSONValue {
        if depth > maxDepth { throw error("nesting deeper than \(maxDepth)") }
        var entries: [(String, JSONValue)] = []
        try items(close: UInt8(ascii: "}")) { p in
            try p.expectKey()
            let k = try p.string()
            try p.colon()
            entries.append((k, try p.value(depth: depth)))
        }
        return .object(JSONObject(entries))
    }

    mutating func array(depth: Int) throws -> JSONValue {
        if depth > maxDepth { throw error("nesting deeper than \(maxDepth)") }
        var items: [JSONValue] = []
        try self.items(close: UInt8(ascii: "]")) { p in items.append(try p.value(depth: depth)) }
        return .array(items)
    }

    /// An object's members or an array's elements, from its opening bracket to `close`: each
    /// read by `element` (white space around it skipped), separated by commas.
    @inline(__always)
    mutating func items(close: UInt8, _ element: (inout Parser) throws -> Void) throws {
        i += 1
        skipWS()
        if i < buf.count, buf[i] == close { i += 1; return }
        while true {
            skipWS()
            try element(&self)
            skipWS()
            let inObject = close == UInt8(ascii: "}")
            guard i < buf.count else { throw error(inObject ? "unexpected end of input in an object" : "unexpected end of input in an array") }
            if buf[i] == UInt8(ascii: ",") { i += 1; continue }
            if buf[i] == close { i += 1; return }
            throw error(inObject ? "expected ',' or '}'" : "expected ',' or ']'")
        }
    }

    /// A member's key must be a string.
    func expectKey() throws {
        guard i < buf.count, buf[i] == UInt8(ascii: "\"") else { throw error("expected a string key") }
    }

    /// After a member's key: the colon, and the white space after it.
    mutating func colon() throws {
        skipWS()
        guard i < buf.count, buf[i] == UInt8(ascii: ":") else { throw error("expected ':'") }
        i += 1
        skipWS()
    }

    mutating func number() throws -> JSONNumber {
        let start = i
        try skipNumber()
        return JSONNumber(literal: String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self))
    }

    /// Passes over a number, validating it.
    mutating func skipNumber() throws {
        if buf[i] == UInt8(ascii: "-") { i += 1 }
        guard i < buf.count else { throw error("invalid number") }
        if buf[i] == UInt8(ascii: "0") {
            i += 1
        } else if buf[i] >= UInt8(ascii: "1") && buf[i] <= UInt8(ascii: "9") {
            while i < buf.count, isDigit(buf[i]) { i += 1 }
        } else {
            throw error("invalid number")
        }
        if i < buf.count, buf[i] == UInt8(ascii: ".") {
            i += 1
            guard i < buf.count, isDigit(buf[i]) else { throw error("invalid number") }
            while i < buf.count, isDigit(buf[i]) { i += 1 }
        }
        if i < buf.count, buf[i] == UInt8(ascii: "e") || buf[i] == UInt8(ascii: "E") {
            i += 1
            if i < buf.count, buf[i] == UInt8(ascii: "+") || buf[i] == UInt8(ascii: "-") { i += 1 }
            guard i < buf.count, isDigit(buf[i]) else { throw error("invalid number") }
            while i < buf.count, isDigit(buf[i]) { i += 1 }
        }
    }

    @inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    mutating func string() throws -> String {
        i += 1  // opening quote
        let start = i
        // Fast path: no escapes. ASCII needs no UTF-8 validation (the generic validating
        // initialiser looked up type metadata for every string).
        let nonASCII = scanPlain()
        guard i < buf.count else { throw error("unterminated string") }
        if buf[i] == UInt8(ascii: "\"") {
            let slice = UnsafeBufferPointer(rebasing: buf[start..<i])
            let s: String
            if !nonASCII {
                s = String(decoding: slice, as: UTF8.self)
            } else {
                guard let v = String(validating: slice, as: UTF8.self) else { throw error("invalid UTF-8 in a string") }
                s = v
            }
            i += 1
            return s
        }
        // Slow path with escapes: the runs between them are copied whole.
        var out = [UInt8]()
        out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[start..<i]))
        while i < buf.count {
            let c = buf[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                guard let s = String(validating: out, as: UTF8.self) else { throw error("invalid UTF-8 in a string") }
                return s
            }
            if c < 0x20 { throw error("control character in a string") }
            // A backslash (`scanPlain` stops at nothing else).
            i += 1
            guard i < buf.count else { break }
            let e = buf[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard i + 1 < buf.count, buf[i] == UInt8(ascii: "\\"), buf[i + 1] == UInt8(ascii: "u") else {
                        throw error("lone surrogate in a string")
                    }
                    i += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low < 0xE000 else { throw error("lone surrogate in a string") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw error("lone surrogate in a string")
                }
                guard let u = Unicode.Scalar(scalar) else { throw error("invalid escape") }
                Self.appendUTF8(u.value, to: &out)
            default:
                throw error("invalid escape")
            }
            // The plain run up to the next special byte, copied whole (none between two escapes,
            // as in text whose writer escaped everything beyond ASCII).
            if i < buf.count && buf[i] != UInt8(ascii: "\\") {
                let run = i
                _ = scanPlain()
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[run..<i]))
            }
        }
        throw error("unterminated string")
    }

    /// Appends the UTF-8 encoding of a Unicode scalar value (not a surrogate, at most 0x10FFFF).
    @inline(__always)
    static func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
        switch v {
        case ..<0x80:
            out.append(UInt8(v))
        case ..<0x800:
            out.append(0xC0 | UInt8(v >> 6))
            out.append(0x80 | UInt8(v & 0x3F))
        case ..<0x10000:
            out.append(0xE0 | UInt8(v >> 12))
            out.append(0x80 | UInt8((v >> 6) & 0x3F))
            out.append(0x80 | UInt8(v & 0x3F))
        default:
            out.append(0xF0 | UInt8(v >> 18))
            out.append(0x80 | UInt8((v >> 12) & 0x3F))
            out.append(0x80 | UInt8((v >> 6) & 0x3F))
            out.append(0x80 | UInt8(v & 0x3F))
        }
    }

    /// Passes over a value, validating it as strictly as `value(depth:)` does, building nothing
    /// (but for a string with escapes or non-ASCII bytes, which is decoded to be checked).
    mutating func skipValue(depth: Int) throws {
        guard i < buf.count else { throw error("unexpected end of input") }
        switch buf[i] {
        case UInt8(ascii: "{"):
            if depth + 1 > maxDepth { throw error("nesting deeper than \(maxDepth)") }
            try items(close: UInt8(ascii: "}")) { p in
                try p.expectKey()
                try p.skipString()
                try p.colon()
                try p.skipValue(depth: depth + 1)
            }
        case UInt8(ascii: "["):
            if depth + 1 > maxDepth { throw error("nesting deeper than \(maxDepth)") }
            try items(close: UInt8(ascii: "]")) { p in try p.skipValue(depth: depth + 1) }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try skipNumber()
        default: throw error("unexpected character")
        }
    }

    /// Inside a string: moves `i` to the next quote, backslash or control character (or to the
    /// end of the input), eight bytes at a time, then byte by byte for the last few. Returns
    /// whether it passed over a byte of 0x80 or above (the string then needs UTF-8 validation).
    @inline(__always)
    mutating func scanPlain() -> Bool {
        var high: UInt64 = 0
        if let base = buf.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 8 <= buf.count {
                let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let special = StringWord.specials(w)
                if special != 0 {
                    // The lowest flagged byte is a real one (see `StringWord.specials`).
                    let n = special.trailingZeroBitCount >> 3
                    high |= w & StringWord.highs & ((1 &<< UInt64(n &* 8)) &- 1)
                    i += n
                    return high != 0
                }
                high |= w & StringWord.highs
                i += 8
            }
        }
        while i < buf.count {
            let c = buf[i]
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c < 0x20 { break }
            if c >= 0x80 { high = 1 }
            i += 1
        }
        return high != 0
    }

    /// Passes over a string. A plain ASCII string (no escapes) is only scanned; any other is
    /// decoded by `string()`, which validates its escapes and UTF-8. Returns whether it was plain.
    @discardableResult
    mutating func skipString() throws -> Bool {
        let start = i
        i += 1
        if !scanPlain(), i < buf.count, buf[i] == UInt8(ascii: "\"") {
            i += 1
            return true
        }
        i = start
        _ = try string()
        return false
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= buf.count else { throw error("invalid \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = buf[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw error("invalid \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }
}

/// Eight bytes of a JSON string at once, for the parser and the writer.
///
/// Each test marks a byte by setting its high bit. A byte that matches borrows from the byte
/// above it, which may mark that one too, so a mark above a real one may be false, but the lowest
/// mark of a word is always real, and no real one is missed: the scans jump straight to the lowest
/// (`trailingZeroBitCount / 8`). Bytes of 0x80 and above (UTF-8 beyond ASCII) are never marked:
/// non-English text is scanned eight bytes at a time as well.
enum StringWord {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Marks the bytes equal to `byte` (< 0x80).
    @inline(__always)
    static func equal(_ w: UInt64, _ byte: UInt8) -> UInt64 {
        let x = w ^ (ones &* UInt64(byte))
        return (x &- ones) & ~x & highs
    }

    /// Marks quotes, backslashes and control characters: where a string's plain run ends.
    @inline(__always)
    static func specials(_ w: UInt64) -> UInt64 {
        let control = (w &- ones &* 0x20) & ~w & highs
        return control | equal(w, 0x22) | equal(w, 0x5C)
    }

    /// Marks the bytes the writer escapes: `specials` and DEL (0x7F).
    @inline(__always)
    static func escapes(_ w: UInt64) -> UInt64 {
        specials(w) | equal(w, 0x7F)
    }
}
