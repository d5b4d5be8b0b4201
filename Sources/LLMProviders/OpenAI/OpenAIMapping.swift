import LLMDomain
import LLMJSON

/// OpenAI's finish reasons, usage and errors in unified terms.
enum OpenAIMapping {
    static func finishReason(_ s: String) -> FinishReason {
        switch s {
        case "length": return .length
        case "tool_calls", "function_call": return .toolCalls
        case "content_filter": return .contentFilter
        default: return .stop
        }
    }

    /// prompt_tokens includes the cached and cache-write tokens; completion_tokens includes reasoning.
    static func usage(_ u: JSONValue) -> Usage {
        let prompt = u.int("prompt_tokens") ?? 0
        let cached = u["prompt_tokens_details"]?.int("cached_tokens") ?? 0
        let written = u["prompt_tokens_details"]?.int("cache_write_tokens") ?? 0
        return Usage(inputTokens: max(0, prompt - cached - written),
                     outputTokens: u.int("completion_tokens") ?? 0,
                     cacheReadInputTokens: cached,
                     cacheCreationInputTokens: written,
                     reasoningTokens: u["completion_tokens_details"]?.int("reasoning_tokens") ?? 0)
    }

    /// An `{"error": {"message","type","param","code"}}` body classified; `status` 200 for a stream error.
    static func error(_ body: JSONValue?, rawBody: [UInt8], status: Int, headers: [(String, String)], key: SecretKey?) -> ProviderError {
        let e = body?["error"]
        let rawMessage = e?.string("message") ?? (e?.stringValue)
        let message = ErrorClassifier.message(rawMessage, body: rawBody, status: status, key: key)
        let type = e?.string("type"), code = e?.string("code")
        let words = [type, code].compactMap { $0 }
        let kind: ProviderError.Kind
        if words.contains("insufficient_quota") {
            kind = .quotaExceeded
        } else if words.contains("context_length_exceeded") {
            kind = .contextWindowExceeded
        } else if status != 200 {
            let k = ErrorClassifier.kind(status: status)
            kind = k == .invalidRequest && ErrorClassifier.isContextWindow(rawMessage ?? "") ? .contextWindowExceeded : k
        } else {
            kind = streamKind(words: words, message: rawMessage ?? "")
        }
        return ProviderError(kind: kind, status: status, message: message, retryAfterMs: RetryAfter.milliseconds(headers: headers))
    }

    /// An error inside a 200 stream has no status to go by: classify by its type and code.
    private static func streamKind(words: [String], message: String) -> ProviderError.Kind {
        func any(_ names: [String]) -> Bool { words.contains { names.contains($0) } }
        if any(["invalid_api_key", "authentication_error"]) { return .authFailed }
        if any(["rate_limit_exceeded", "requests", "tokens", "rate_limit_error"]) { return .rateLimited }
        if any(["server_is_overloaded", "service_unavailable_error", "overloaded_error"]) { return .overloaded }
        if ErrorClassifier.isContextWindow(message) { return .contextWindowExceeded }
        return .server
    }

    /// The text members of a message (plain answer) or a delta (stream chunk), as the fast
    /// paths read them with `JSONScanner`; `tool_calls` may only be null there.
    struct TextFields {
        static let keys: [StaticString] = ["content", "refusal", "reasoning_content", "reasoning", "tool_calls"]
        var content: String? = nil, refusal: String? = nil, reasoningContent: String? = nil, reasoning: String? = nil

        /// Reads the value of `keys[field]`.
        mutating func read(_ s: inout JSONScanner, field: Int) throws -> Bool {
            switch field {
            case 0: content = try s.stringOrNull()
            case 1: refusal = try s.stringOrNull()
            case 2: reasoningContent = try s.stringOrNull()
            case 3: reasoning = try s.stringOrNull()
            default: try s.null()
            }
            return true
        }

        /// `reasoning_content`, else `reasoning` (as the full parse reads them).
        var reasoningText: String? { reasoningContent ?? reasoning }
    }
}
