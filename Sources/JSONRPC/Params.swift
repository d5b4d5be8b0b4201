import FoundationEssentials
import LLMJSON

/// Typed access to a request's `params` object. Every accessor throws `-32602` naming the field.
public struct Params: Sendable {
    public let object: JSONObject

    public init(_ object: JSONObject) { self.object = object }

    public func has(_ key: String) -> Bool { object.contains(key) }

    /// A field that may be absent, null, or set: PATCH semantics.
    public enum Patch<T> {
        case absent, null, value(T)
        public var isAbsent: Bool { if case .absent = self { return true } else { return false } }
        /// nil = keep; .some(nil) = clear; .some(v) = set.
        public var asDoubleOptional: T?? {
            switch self {
            case .absent: return nil
            case .null: return .some(nil)
            case .value(let v): return .some(v)
            }
        }
    }

    private func wrong(_ key: String, _ expected: String, _ got: JSONValue) -> RPCError {
        .invalidParams(field: key, "'\(key)' must be \(expected), got \(got.typeName)")
    }
    private func missing(_ key: String) -> RPCError { .invalidParams(field: key, "'\(key)' is required") }

    private func present(_ key: String) -> JSONValue? {
        guard let v = object[key], !v.isNull else { return nil }
        return v
    }

    // Strings
    public func string(_ key: String) throws -> String {
        guard let v = present(key) else { throw missing(key) }
        guard let s = v.stringValue else { throw wrong(key, "a string", v) }
        return s
    }
    public func optionalString(_ key: String) throws -> String? {
        guard let v = present(key) else { return nil }
        guard let s = v.stringValue else { throw wrong(key, "a string", v) }
        return s
    }
    public func patchString(_ key: String) throws -> Patch<String> {
        guard let v = object[key] else { return .absent }
        if v.isNull { return .null }
        guard let s = v.stringValue else { throw wrong(key, "a string or null", v) }
        return .value(s)
    }

    // Integers
    public func int(_ key: String) throws -> Int {
        guard let v = present(key) else { throw missing(key) }
        return try asInt(key, v)
    }
    public func optionalInt(_ key: String) throws -> Int? {
        guard let v = present(key) else { return nil }
        return try asInt(key, v)
    }
    public func int(_ key: String, default d: Int, range: ClosedRange<Int>) throws -> Int {
        let i = try optionalInt(key) ?? d
        guard range.contains(i) else {
            throw RPCError.invalidParams(field: key, "'\(key)' must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return i
    }
    private func asInt(_ key: String, _ v: JSONValue) throws -> Int {
        guard let n = v.numberValue else { throw wrong(key, "an integer", v) }
        guard let i = n.intValue else { throw RPCError.invalidParams(field: key, "'\(key)' must be an integer") }
        return i
    }

    // Booleans
    public func bool(_ key: String) throws -> Bool {
        guard let v = present(key) else { throw missing(key) }
        guard let b = v.boolValue else { throw wrong(key, "a boolean", v) }
        return b
    }
    public func optionalBool(_ key: String) throws -> Bool? {
        guard let v = present(key) else { return nil }
        guard let b = v.boolValue else { throw wrong(key, "a boolean", v) }
        return b
    }

    // Numbers
    public func optionalDouble(_ key: String) throws -> Double? {
        guard let v = present(key) else { return nil }
        guard let n = v.numberValue else { throw wrong(key, "a number", v) }
        return n.doubleValue
    }
    /// An exact decimal; absent/null/value kept apart for prices.
    public func patchDecimal(_ key: String) throws -> Patch<Decimal> {
        guard let v = object[key] else { return .absent }
        if v.isNull { return .null }
        guard let n = v.numberValue, let d = n.decimalValue else { throw wrong(key, "a number or null", v) }
        return .value(d)
    }

    // Structures
    public func optionalArray(_ key: String) throws -> [JSONValue]? {
        guard let v = present(key) else { return nil }
        guard let a = v.arrayValue else { throw wrong(key, "an array", v) }
        return a
    }
    public func array(_ key: String) throws -> [JSONValue] {
        guard let v = present(key) else { throw missing(key) }
        guard let a = v.arrayValue else { throw wrong(key, "an array", v) }
        return a
    }
    public func optionalValue(_ key: String) -> JSONValue? { present(key) }
}

/// The params of one method, decoded from the request's `params` object.
public protocol RPCParams: Sendable {
    init(_ params: Params) throws
}

/// For methods that take no params (any object is accepted).
public struct NoParams: RPCParams {
    public init(_ params: Params) {}
    public init() {}
}
