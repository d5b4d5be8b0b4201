/// Tool call ids: unique ones for calls a provider left without one, and the thought signature
/// Gemini attaches to a function call, carried inside the id.
///
/// Gemini 3 answers a function call with a `thoughtSignature` that must come back on that call's
/// part in later requests (without it Gemini 3 refuses the request with a 400). Clients keep a
/// tool call's id (they echo it in the assistant message and in the tool result), but not fields
/// they do not know, so the signature travels as a suffix of the id: `<id>__thought__<signature>`
/// (LiteLLM's convention, so a client's history moves between the two). Requests to Gemini put
/// the signature back on the part; requests to other providers send the id without it.
enum ToolCallID {
    /// "call_" and 24 random hex digits.
    static func make() -> String {
        var g = SystemRandomNumberGenerator()
        let a = g.next() as UInt64, b = g.next() as UInt32
        return "call_" + hex(a, width: 16) + hex(UInt64(b), width: 8)
    }

    static let signatureSeparator = "__thought__"

    /// `id` with `signature` carried in it (unchanged when there is none).
    static func carrying(_ id: String, signature: String?) -> String {
        guard let signature, !signature.isEmpty else { return id }
        return id + signatureSeparator + signature
    }

    /// The id as the provider made it, and the signature carried in it, if any.
    static func split(_ id: String) -> (id: String, signature: String?) {
        guard let r = id.firstRange(of: signatureSeparator) else { return (id, nil) }
        let signature = String(id[r.upperBound...])
        return (String(id[..<r.lowerBound]), signature.isEmpty ? nil : signature)
    }

    private static func hex(_ v: UInt64, width: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}
