import LLMDomain

/// Classification rules shared by the adapters.
enum ErrorClassifier {
    /// Phrases providers use when the prompt does not fit the model's context window.
    private static let contextPhrases = [
        "prompt is too long", "context_length_exceeded", "context window", "context length",
        "maximum context", "input token count", "too many tokens", "exceeds the maximum number of tokens",
    ]

    static func isContextWindow(_ text: String) -> Bool {
        let t = text.lowercased()
        return contextPhrases.contains { t.contains($0) }
    }

    /// The kind implied by the HTTP status alone.
    static func kind(status: Int) -> ProviderError.Kind {
        switch status {
        case 401, 403: return .authFailed
        case 402: return .quotaExceeded
        case 404: return .notFound
        case 429: return .rateLimited
        case 503, 529: return .overloaded
        case 400, 409, 413, 422: return .invalidRequest
        case 500...599: return .server
        default: return .other
        }
    }

    /// The provider's message redacted, or a short stand-in when the body had none.
    static func message(_ providerMessage: String?, body: [UInt8], status: Int, key: SecretKey?) -> String {
        if let m = providerMessage, !m.isEmpty { return KeyRedactor.redact(m, key: key) }
        let text = KeyRedactor.redact(String(decoding: body, as: UTF8.self), key: key).trimmed
        if !text.isEmpty, !text.hasPrefix("<") { return String(text.prefix(500)) }
        return "HTTP \(status)"
    }
}
