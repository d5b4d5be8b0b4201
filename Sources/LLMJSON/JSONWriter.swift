/// Compact JSON output. Control characters, including newlines, are always escaped, so one
/// serialized value never spans two lines.
public enum JSONWriter {
    /// Appends `value`'s JSON text to `out`. The value is written into a buffer of raw memory
    /// first and appended once: appending to an array byte by byte and run by run checks its
    /// uniqueness and capacity each time (~110 instructions per appended run, ~300 per short
    /// string written; a chat's answer has about forty).
    public static func write(_ value: JSONValue, into out: inout [UInt8]) {
        var sink = ByteSink(capacity: 1024)
        defer { sink.release() }
        write(value, to: &sink)
        out.append(contentsOf: sink.bytes)
    }

    static func write<Out: JSONOutput>(_ value: JSONValue, to out: inout Out) {
        switch value {
        case .null: appendASCII("null", to: &out)
        case .bool(let b): appendASCII(b ? "true" : "false", to: &out)
        case .number(let n): appendUTF8(n.text, to: &out)
        case .string(let s): writeString(s, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (k, v) in a.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                write(v, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            var first = true
            for (k, v) in o {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeString(k, to: &out)
                out.append(UInt8(ascii: ":"))
                write(v, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    @inline(__always) static func appendASCII<Out: JSONOutput>(_ s: StaticString, to out: inout Out) {
        out.append(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    @inline(__always) static func appendUTF8<Out: JSONOutput>(_ s: String, to out: inout Out) {
        var s = s
        s.withUTF8 { out.append($0) }
    }

    /// `s` as a JSON string literal, appended to `out`.
    public static func writeString(_ s: String, into out: inout [UInt8]) {
        writeString(s, to: &out)
    }

    /// Runs of bytes that need no escape are copied at once.
    static func writeString<Out: JSONOutput>(_ s: String, to out: inout Out) {
        var s = s
        s.withUTF8 { utf8 in
            out.reserve(utf8.count + 2)
            out.append(UInt8(ascii: "\""))
            // Plain runs are copied whole; a string with nothing to escape is one run.
            var run = 0
            var i = nextEscape(utf8, from: 0)
            while i < utf8.count {
                if run < i { out.append(UnsafeBufferPointer(rebasing: utf8[run..<i])) }
                let c = utf8[i]
                switch c {
                case UInt8(ascii: "\""): out.append(0x5C); out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C); out.append(0x5C)
                case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
                case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
                default:
                    let hex: StaticString = "0123456789abcdef"
                    out.append(0x5C); out.append(UInt8(ascii: "u")); out.append(0x30); out.append(0x30)
                    out.append(hex.utf8Start[Int(c >> 4)]); out.append(hex.utf8Start[Int(c & 0xF)])
                }
                run = i + 1
                i = nextEscape(utf8, from: run)
            }
            if run < utf8.count { out.append(UnsafeBufferPointer(rebasing: utf8[run...])) }
            out.append(UInt8(ascii: "\""))
        }
    }

    /// The index of the first byte at or after `from` that needs an escape (a quote, a
    /// backslash, a control character or DEL), or the count: eight bytes at a time
    /// (`StringWord`), then byte by byte for the last few. Bytes beyond ASCII need none.
    @inline(__always)
    static func nextEscape(_ utf8: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        var i = from
        if let base = utf8.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 8 <= utf8.count {
                let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let marks = StringWord.escapes(w)
                if marks != 0 { return i + marks.trailingZeroBitCount >> 3 }
                i += 8
            }
        }
        while i < utf8.count {
            let c = utf8[i]
            if c < 0x20 || c == 0x22 || c == 0x5C || c == 0x7F { return i }
            i += 1
        }
        return i
    }

    public static func bytes(_ value: JSONValue) -> [UInt8] {
        var sink = ByteSink(capacity: 1024)
        defer { sink.release() }
        write(value, to: &sink)
        return Array(sink.bytes)
    }

    /// `value`'s text and a newline: one line of the protocol, in one array of its exact size
    /// (appending the newline to `bytes(value)` would grow the array again).
    public static func line(_ value: JSONValue) -> [UInt8] {
        var sink = ByteSink(capacity: 1024)
        defer { sink.release() }
        write(value, to: &sink)
        sink.append(0x0A)
        return Array(sink.bytes)
    }

    public static func string(_ value: JSONValue) -> String { String(decoding: bytes(value), as: UTF8.self) }
}

extension JSONValue: CustomStringConvertible {
    public var description: String { JSONWriter.string(self) }
}

/// Where the writer appends bytes: an array, or a `ByteSink`.
protocol JSONOutput {
    mutating func append(_ byte: UInt8)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>)
    /// Room for `extra` more bytes (a hint).
    mutating func reserve(_ extra: Int)
}

extension Array: JSONOutput where Element == UInt8 {
    @inline(__always) mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) { append(contentsOf: bytes) }
    /// Nothing: `reserveCapacity` before every string would make an array grow by exact sizes,
    /// not geometrically.
    @inline(__always) mutating func reserve(_ extra: Int) {}
}

/// A growable buffer of raw memory that the writer fills: an append is a capacity check and
/// a copy. Owned by one writing function, which calls `release()` when done (it is a value
/// whose copies would share the memory, so it never leaves that function).
struct ByteSink: JSONOutput {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = max(16, capacity)
        base = .allocate(capacity: self.capacity)
    }

    mutating func release() {
        base.deallocate()
        capacity = 0
        count = 0
    }

    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    @inline(__always) mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    @inline(never) private mutating func grow(to needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always) mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always) mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }
}
