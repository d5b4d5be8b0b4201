import LLMDomain
import LLMJSON

/// Small readers over parsed provider JSON.
extension JSONValue {
    /// An integer member, nil when absent, null or not an integer.
    func int(_ key: String) -> Int? { self[key]?.intValue }
    /// A string member, nil when absent or not a string.
    func string(_ key: String) -> String? { self[key]?.stringValue }
    /// An array member, or [] when absent or not an array.
    func array(_ key: String) -> [JSONValue] { self[key]?.arrayValue ?? [] }
    /// A member that is present and not null.
    func present(_ key: String) -> JSONValue? {
        guard let v = self[key], !v.isNull else { return nil }
        return v
    }
}

enum ProviderJSON {
    /// The body parsed as a JSON object, or nil.
    static func object(_ bytes: [UInt8]) -> JSONValue? {
        guard let v = try? JSONParser.parse(bytes), v.objectValue != nil else { return nil }
        return v
    }

    /// A 2xx body that cannot be read.
    static func malformedBody() -> ProviderError {
        ProviderError(kind: .server, status: 200, message: "malformed response body")
    }

    /// A data line of a 200 stream that cannot be read.
    static func malformedEvent() -> ProviderError {
        ProviderError(kind: .server, status: 200, message: "malformed stream event")
    }

    /// Tool-call arguments (JSON text) as the object a provider wants; "" is {}.
    static func argumentsObject(_ text: String, field: String) throws -> JSONValue {
        if text.trimmed.isEmpty { return .object(JSONObject()) }
        guard let v = try? JSONParser.parse(text), v.objectValue != nil else {
            throw DomainError.invalidParams(field, "tool call arguments must be a JSON object")
        }
        return v
    }

    /// The model's URL base without a trailing slash.
    static func trimBase(_ base: String) -> String {
        var b = Substring(base)
        while b.hasSuffix("/") { b.removeLast() }
        return String(b)
    }
}
