/// A pull reader over JSON bytes, for hot paths that want a few members of a known shape (a
/// provider's stream chunk) without building the whole `JSONValue` tree. What it passes over
/// is validated as strictly as `JSONParser` validates it; it builds only the strings asked for.
///
/// Objects and arrays are read with `beginObject`/`nextKey` and `beginArray`/`nextElement`;
/// a member's value must then be read (`string`, `stringOrNull`, `integer`, nested containers)
/// or passed over with `skipValue`. Any call that meets something else throws, and the reader
/// is then done: callers fall back to `JSONParser`, which also says what was wrong.
public struct JSONScanner {
    private var p: Parser
    /// How many containers are open (at most 64).
    private var depth = 0
    /// Bit k: whether a member or element has been read in the open container at depth k + 1.
    private var started: UInt64 = 0

    public enum Kind: Sendable, Equatable { case object, array, string, number, bool, null }

    /// Runs `body` over `bytes`: true if it reads what it wants (returning true) and only
    /// whitespace follows the value; false if it returns false or meets anything else,
    /// malformed JSON included (a caller then reads the bytes with `JSONParser`).
    public static func read(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (inout JSONScanner) throws -> Bool) -> Bool {
        var s = JSONScanner(bytes)
        do {
            guard try body(&s) else { return false }
            try s.finish()
            return true
        } catch {
            return false
        }
    }

    /// Reads `buffer`, which must stay valid while the scanner is used.
    public init(_ buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int = JSONParser.defaultMaxDepth) {
        p = Parser(buf: buffer, maxDepth: maxDepth)
    }

    /// The kind of the next value, nil when the input has none there.
    public mutating func peek() -> Kind? {
        p.skipWS()
        guard p.i < p.buf.count else { return nil }
        switch p.buf[p.i] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: return nil
        }
    }

    private func mismatch(_ what: String) -> JSONParseError { p.error("expected \(what)") }

    private mutating func open(_ bracket: UInt8, _ what: String) throws {
        p.skipWS()
        guard p.i < p.buf.count, p.buf[p.i] == bracket else { throw mismatch(what) }
        if depth + 1 > min(p.maxDepth, 64) { throw p.error("nesting deeper than \(min(p.maxDepth, 64))") }
        p.i += 1
        depth += 1
        started &= ~(1 << UInt64(depth - 1))
    }

    /// Before the next member or element of the innermost container: true if there is one
    /// (its separator consumed), false at the container's end (its bracket consumed).
    private mutating func next(close: UInt8, _ what: String) throws -> Bool {
        guard depth > 0 else { throw p.error("not in a container") }
        let bit: UInt64 = 1 << UInt64(depth - 1)
        let first = started & bit == 0
        p.skipWS()
        guard p.i < p.buf.count else { throw p.error("unexpected end of input in \(what)") }
        let c = p.buf[p.i]
        if c == close {
            p.i += 1
            depth -= 1
            return false
        }
        if !first {
            guard c == UInt8(ascii: ",") else { throw p.error("expected ',' in \(what)") }
            p.i += 1
            p.skipWS()
        }
        started |= bit
        return true
    }

    /// Enters an object (throws if the next value is not one).
    public mutating func beginObject() throws { try open(UInt8(ascii: "{"), "an object") }

    /// The next member's key, with its ':' consumed (its value comes next), or nil at the end
    /// of the object (its '}' consumed).
    public mutating func nextKey() throws -> Key? {
        guard try next(close: UInt8(ascii: "}"), "an object") else { return nil }
        guard p.i < p.buf.count, p.buf[p.i] == UInt8(ascii: "\"") else { throw p.error("expected a string key") }
        let start = p.i + 1
        let plain = try p.skipString()
        let raw = UnsafeBufferPointer(rebasing: p.buf[start..<(p.i - 1)])
        p.skipWS()
        guard p.i < p.buf.count, p.buf[p.i] == UInt8(ascii: ":") else { throw p.error("expected ':'") }
        p.i += 1
        return Key(raw: raw, isPlain: plain)
    }

    /// Enters an array (throws if the next value is not one).
    public mutating func beginArray() throws { try open(UInt8(ascii: "["), "an array") }

    /// True if the array has another element (read it next), false at its end (']' consumed).
    public mutating func nextElement() throws -> Bool { try next(close: UInt8(ascii: "]"), "an array") }

    /// Reads the object that comes next, member by member: `body` gets each member whose key is
    /// one of `names` (with its index there, at most 64 names) and must read its value; other
    /// members are passed over. Returns false — not the shape the caller reads — as soon as a key
    /// is not plain (an escape could spell a name), a named key comes a second time (the full
    /// parse keeps the last one) or `body` returns false.
    public mutating func readObject(_ names: [StaticString], _ body: (inout JSONScanner, Int) throws -> Bool) throws -> Bool {
        precondition(names.count <= 64)
        try beginObject()
        var seen: UInt64 = 0
        while let key = try nextKey() {
            guard key.isPlain else { return false }
            guard let index = names.firstIndex(where: { key == $0 }) else {
                try skipValue()
                continue
            }
            let bit: UInt64 = 1 << UInt64(index)
            guard seen & bit == 0 else { return false }
            seen |= bit
            guard try body(&self, index) else { return false }
        }
        return true
    }

    /// Reads the array that comes next: `body` reads each element. Returns false as soon as
    /// `body` does.
    public mutating func readArray(_ body: (inout JSONScanner) throws -> Bool) throws -> Bool {
        try beginArray()
        while try nextElement() {
            guard try body(&self) else { return false }
        }
        return true
    }

    /// The next value, which must be null.
    public mutating func null() throws {
        guard peek() == .null else { throw mismatch("null") }
        try p.literal("null")
    }

    /// Passes over the next value, validating it.
    public mutating func skipValue() throws {
        p.skipWS()
        try p.skipValue(depth: depth)
    }

    /// Passes over the next value, validating it, and returns its bytes (for `JSONParser` to
    /// read a small part of a large document whole).
    public mutating func rawValue() throws -> UnsafeBufferPointer<UInt8> {
        p.skipWS()
        let start = p.i
        try p.skipValue(depth: depth)
        return UnsafeBufferPointer(rebasing: p.buf[start..<p.i])
    }

    /// The next value, which must be null (nil) or an object, parsed whole by `JSONParser` (for
    /// a small member, such as usage, that is read with the tree's accessors).
    public mutating func objectOrNull() throws -> JSONValue? {
        switch peek() {
        case .null: try null(); return nil
        case .object: return try JSONParser.parse(buffer: try rawValue())
        default: throw mismatch("an object or null")
        }
    }

    /// The next value, which must be a string.
    public mutating func string() throws -> String {
        guard peek() == .string else { throw mismatch("a string") }
        return try p.string()
    }

    /// The next value, which must be a string (returned) or null (nil).
    public mutating func stringOrNull() throws -> String? {
        switch peek() {
        case .string: return try p.string()
        case .null: try p.literal("null"); return nil
        default: throw mismatch("a string or null")
        }
    }

    /// The next value, which must be `true` or `false`.
    public mutating func bool() throws -> Bool {
        guard peek() == .bool else { throw mismatch("a boolean") }
        if p.buf[p.i] == UInt8(ascii: "t") {
            try p.literal("true")
            return true
        }
        try p.literal("false")
        return false
    }

    /// The next value, which must be an integer literal without fraction or exponent that fits
    /// an Int ("7", "-3"); other numbers ("7.0", "1e3") throw, though `JSONParser` reads them.
    public mutating func integer() throws -> Int {
        guard peek() == .number else { throw mismatch("an integer") }
        let start = p.i
        try p.skipNumber()
        let digits = UnsafeBufferPointer(rebasing: p.buf[start..<p.i])
        var negative = false
        var value = 0
        for (k, c) in digits.enumerated() {
            if k == 0 && c == UInt8(ascii: "-") { negative = true; continue }
            guard c >= 0x30 && c <= 0x39 else { throw p.error("expected an integer") }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(c - 0x30))
            if o1 || o2 { throw p.error("integer out of range") }
            value = a
        }
        return negative ? -value : value
    }

    /// Checks that the value read was the whole input (only whitespace follows).
    public mutating func finish() throws {
        guard depth == 0 else { throw p.error("unexpected end of input") }
        p.skipWS()
        if p.i != p.buf.count { throw p.error("unexpected data after the JSON value") }
    }

    /// An object member's key as it appears in the input, between its quotes.
    public struct Key {
        /// The key's bytes as written (escapes not decoded).
        public let raw: UnsafeBufferPointer<UInt8>

        /// Whether the key is plain ASCII without escapes, so that its bytes are its text.
        /// A key that is not plain never equals a name: callers needing it use `JSONParser`.
        public let isPlain: Bool

        /// Whether the key, as written, is `name`.
        public static func == (key: Key, name: StaticString) -> Bool {
            let n = name.utf8CodeUnitCount
            guard key.raw.count == n else { return false }
            let s = name.utf8Start
            for k in 0..<n where key.raw[k] != s[k] { return false }
            return true
        }
    }
}
