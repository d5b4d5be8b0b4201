/// A cheap, allocation-light scan of a JSON object's top-level members: enough to read `model`,
/// `stream`, `max_tokens` and `stream_options.include_usage` without a full parse.
struct RequestBodyScan {
    let bytes: [UInt8]
    /// Top-level member name → byte range of its raw value.
    let members: [String: Range<Int>]

    /// Nil when the bytes are not a JSON object (as far as this scan can tell).
    init?(_ bytes: [UInt8]) {
        guard let members = Self.scanObject(bytes, from: 0) else { return nil }
        self.bytes = bytes
        self.members = members
    }

    private init(bytes: [UInt8], members: [String: Range<Int>]) {
        self.bytes = bytes
        self.members = members
    }

    func has(_ key: String) -> Bool { members[key] != nil }

    /// True when the member is the literal `true`.
    func isTrue(_ key: String) -> Bool {
        guard let range = members[key] else { return false }
        return bytes[range].elementsEqual("true".utf8)
    }

    /// The member as a string, when it is a JSON string (escapes are kept only for `\"`, `\\`, `\/`).
    func string(_ key: String) -> String? {
        guard let range = members[key], range.count >= 2, bytes[range.lowerBound] == UInt8(ascii: "\"") else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(range.count - 2)
        var i = range.lowerBound + 1
        while i < range.upperBound - 1 {
            if bytes[i] == UInt8(ascii: "\\"), i + 1 < range.upperBound - 1 { i += 1 }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The member as a nested object scan.
    func object(_ key: String) -> RequestBodyScan? {
        guard let range = members[key], let nested = Self.scanObject(bytes, from: range.lowerBound) else { return nil }
        return RequestBodyScan(bytes: bytes, members: nested)
    }

    // MARK: - Scanning

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    private static func skipSpace(_ b: [UInt8], _ i: inout Int) {
        while i < b.count, isSpace(b[i]) { i += 1 }
    }

    private static func scanObject(_ b: [UInt8], from start: Int) -> [String: Range<Int>]? {
        var i = start
        skipSpace(b, &i)
        guard i < b.count, b[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var members: [String: Range<Int>] = [:]
        skipSpace(b, &i)
        if i < b.count, b[i] == UInt8(ascii: "}") { return members }
        while true {
            skipSpace(b, &i)
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
            let keyStart = i + 1
            guard skipString(b, &i) else { return nil }
            let key = String(decoding: b[keyStart..<(i - 1)], as: UTF8.self)
            skipSpace(b, &i)
            guard i < b.count, b[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skipSpace(b, &i)
            let valueStart = i
            guard skipValue(b, &i) else { return nil }
            members[key] = valueStart..<i
            skipSpace(b, &i)
            guard i < b.count else { return nil }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") { return members }
            return nil
        }
    }

    /// `i` at the opening quote; on success, `i` is just past the closing quote.
    private static func skipString(_ b: [UInt8], _ i: inout Int) -> Bool {
        i += 1
        while i < b.count {
            switch b[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""): i += 1; return true
            default: i += 1
            }
        }
        return false
    }

    private static func skipValue(_ b: [UInt8], _ i: inout Int) -> Bool {
        guard i < b.count else { return false }
        switch b[i] {
        case UInt8(ascii: "\""):
            return skipString(b, &i)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while i < b.count {
                switch b[i] {
                case UInt8(ascii: "\""):
                    guard skipString(b, &i) else { return false }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { i += 1; return true }
                default:
                    break
                }
                i += 1
            }
            return false
        default:
            let start = i
            while i < b.count, !isSpace(b[i]), b[i] != UInt8(ascii: ","), b[i] != UInt8(ascii: "}"), b[i] != UInt8(ascii: "]") {
                i += 1
            }
            return i > start
        }
    }
}
