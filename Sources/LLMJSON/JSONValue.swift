import FoundationEssentials

/// A JSON value. Numbers keep their literal text, so integers of any size and decimal prices
/// survive a round trip exactly; objects keep their key order, so output reads like the spec.
public enum JSONValue: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public static func int<I: BinaryInteger>(_ value: I) -> JSONValue { .number(JSONNumber(value)) }
    public static func double(_ value: Double) -> JSONValue { .number(JSONNumber(value)) }
    public static func decimal(_ value: Decimal) -> JSONValue { .number(JSONNumber(value)) }

    public var isNull: Bool { if case .null = self { return true } else { return false } }
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var numberValue: JSONNumber? { if case .number(let n) = self { return n } else { return nil } }
    public var intValue: Int? { numberValue?.intValue }
    public var doubleValue: Double? { numberValue?.doubleValue }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var objectValue: JSONObject? { if case .object(let o) = self { return o } else { return nil } }

    /// The member `key` of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// A short name of the JSON type, for error messages ("expected a string, got an array").
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A JSON number kept as its literal text (validated by the parser or produced from a Swift number).
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    public let text: String

    /// `text` must already be a valid JSON number literal.
    public init(literal text: String) { self.text = text }
    public init<I: BinaryInteger>(_ value: I) { self.text = String(value) }
    public init(_ value: Double) {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
            self.text = String(Int64(value))
        } else if value.isFinite {
            self.text = "\(value)"
        } else {
            self.text = "0"  // JSON has no NaN or infinity
        }
    }
    public init(_ value: Decimal) {
        // Decimal's description is plain positional notation ("0.0105", "-3"), valid JSON.
        self.text = value.rounded(scale: 18).description
    }

    public var description: String { text }

    /// The value as an Int when it is an integer literal in range ("3", "-7"; "3.0" and "1e3" too).
    public var intValue: Int? {
        if let i = Int(text) { return i }
        return decimalValue?.exactInt64.flatMap { Int(exactly: $0) }
    }
    public var isInteger: Bool { intValue != nil }
    public var doubleValue: Double { Double(text) ?? 0 }
    /// The exact decimal value of the literal ("3e-06" is 0.000003 exactly).
    public var decimalValue: Decimal? { Decimal(string: text) }

    public static func == (a: JSONNumber, b: JSONNumber) -> Bool {
        if a.text == b.text { return true }
        // Two plain integer literals (request ids meeting in a dictionary of requests in
        // flight) compare as integers, without parsing two Decimals (~4 k instructions).
        if let x = Int64(a.text), let y = Int64(b.text) { return x == y }
        if let x = a.decimalValue, let y = b.decimalValue { return x == y }
        return false
    }
    /// Equal numbers hash alike: every integral value that fits an Int64 ("7", "7.0", "7e0")
    /// hashes as that Int64, anything else as its Decimal. Plain integer literals (request
    /// ids) take the fast path and never parse a Decimal.
    public func hash(into hasher: inout Hasher) {
        if let i = Int64(text) { hasher.combine(i); return }
        guard let d = decimalValue else { hasher.combine(text); return }
        if let i = d.exactInt64 {
            hasher.combine(i)
        } else {
            hasher.combine(d)
        }
    }
}

/// A JSON object with ordered keys. Lookup is by the last occurrence of a key.
public struct JSONObject: Sendable, Hashable, Sequence {
    public private(set) var entries: [(key: String, value: JSONValue)]

    public init() { entries = [] }
    /// The entries as they are: a tuple's labels change neither its layout nor its value
    /// witnesses, so the array is reinterpreted rather than copied element by element (a copy
    /// per object literal was ~3 k instructions of every chat answer).
    public init(_ entries: [(String, JSONValue)]) {
        self.entries = unsafeBitCast(entries, to: [(key: String, value: JSONValue)].self)
    }

    public var keys: [String] { entries.map(\.key) }
    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    public subscript(key: String) -> JSONValue? {
        get {
            for i in stride(from: entries.count - 1, through: 0, by: -1) where entries[i].key == key {
                return entries[i].value
            }
            return nil
        }
        set {
            if let i = entries.lastIndex(where: { $0.key == key }) {
                if let v = newValue { entries[i].value = v } else { entries.remove(at: i) }
            } else if let v = newValue {
                entries.append((key: key, value: v))
            }
        }
    }

    public func contains(_ key: String) -> Bool { entries.contains { $0.key == key } }

    public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> { entries.makeIterator() }

    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        let keys = Set(a.keys)
        guard keys == Set(b.keys) else { return false }
        return keys.allSatisfy { a[$0] == b[$0] }
    }
    public func hash(into hasher: inout Hasher) {
        for k in Set(keys).sorted() { hasher.combine(k) }
    }
}

// Not ExpressibleByNilLiteral: `nil` must never silently become JSON null in an optional context.
extension JSONValue: ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    public init(floatLiteral value: Double) { self = .number(JSONNumber(value)) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
}

extension JSONValue {
    /// `.string(s)` or `.null` when nil.
    public static func optional(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
    public static func optional<I: BinaryInteger>(_ i: I?) -> JSONValue { i.map { .int($0) } ?? .null }
    public static func optional(_ d: Decimal?) -> JSONValue { d.map { .decimal($0) } ?? .null }
    public static func optional(_ b: Bool?) -> JSONValue { b.map { .bool($0) } ?? .null }
}

// MARK: - Codable, so domain types can embed arbitrary JSON (tool schemas, arguments).

extension JSONValue: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int64.self) { self = .int(i); return }
        if let d = try? c.decode(Decimal.self) { self = .decimal(d); return }
        if let d = try? c.decode(Double.self) { self = .double(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
        // Key order is lost through Foundation's keyed containers; sort for determinism.
        let o = try c.decode([String: JSONValue].self)
        self = .object(JSONObject(o.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n):
            if let i = Int(n.text) { try c.encode(i) } else if let d = n.decimalValue { try c.encode(d) } else { try c.encode(n.doubleValue) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o):
            var d: [String: JSONValue] = [:]
            for (k, v) in o { d[k] = v }
            try c.encode(d)
        }
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self.init(elements) }
}
