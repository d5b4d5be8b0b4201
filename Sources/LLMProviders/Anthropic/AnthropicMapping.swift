import LLMDomain
import LLMJSON

/// Anthropic's finish reasons, usage and error types in unified terms.
enum AnthropicMapping {
    static func finishReason(_ s: String) -> FinishReason {
        switch s {
        case "max_tokens", "model_context_window_exceeded": return .length
        case "tool_use": return .toolCalls
        case "refusal": return .contentFilter
        default: return .stop  // end_turn, stop_sequence, pause_turn
        }
    }

    /// The raw usage counters; a message_delta's present fields replace earlier ones.
    struct Counters: Equatable {
        var input = 0, cacheRead = 0, cacheCreation = 0, output = 0, thinking = 0

        /// Overwrites every counter present (and not null) in `u`.
        mutating func merge(_ u: JSONValue) {
            if let v = u.int("input_tokens") { input = v }
            if let v = u.int("cache_read_input_tokens") { cacheRead = v }
            if let v = u.int("cache_creation_input_tokens") { cacheCreation = v }
            if let v = u.int("output_tokens") { output = v }
            if let v = u["output_tokens_details"]?.int("thinking_tokens") { thinking = v }
        }

        /// Anthropic's input_tokens already excludes the cache buckets; output includes thinking.
        var usage: Usage {
            Usage(inputTokens: input, outputTokens: output, cacheReadInputTokens: cacheRead,
                  cacheCreationInputTokens: cacheCreation, reasoningTokens: thinking)
        }
    }

    static func usage(_ u: JSONValue) -> Usage {
        var c = Counters()
        c.merge(u)
        return c.usage
    }

    /// Kind from the error type, with the HTTP status as a fallback.
    static func kind(type: String?, status: Int, message: String) -> ProviderError.Kind {
        switch type {
        case "authentication_error", "permission_error": return .authFailed
        case "rate_limit_error": return .rateLimited
        case "overloaded_error": return .overloaded
        case "not_found_error": return .notFound
        case "billing_error": return .quotaExceeded
        case "api_error", "timeout_error": return .server
        case "invalid_request_error", "request_too_large":
            return ErrorClassifier.isContextWindow(message) ? .contextWindowExceeded : .invalidRequest
        default:
            if status == 200 { return .server }
            let k = ErrorClassifier.kind(status: status)
            return k == .invalidRequest && ErrorClassifier.isContextWindow(message) ? .contextWindowExceeded : k
        }
    }

    /// An error body (`{"type":"error","error":{"type","message","details"?}}`) classified.
    static func error(_ body: JSONValue?, rawBody: [UInt8], status: Int, headers: [(String, String)], key: SecretKey?) -> ProviderError {
        let e = body?["error"]
        let rawMessage = e?.string("message")
        let message = ErrorClassifier.message(rawMessage, body: rawBody, status: status, key: key)
        var kind = kind(type: e?.string("type"), status: status, message: rawMessage ?? "")
        if status == 529 { kind = .overloaded }
        // A spend-cap 429 will not clear by waiting.
        if kind == .rateLimited, e?["details"]?.string("error_code") == "enforced_spend_limit_reached" {
            kind = .quotaExceeded
        }
        return ProviderError(kind: kind, status: status, message: message, retryAfterMs: RetryAfter.milliseconds(headers: headers))
    }
}
