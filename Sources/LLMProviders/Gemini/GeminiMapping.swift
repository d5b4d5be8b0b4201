import LLMDomain
import LLMJSON

/// Gemini's finish reasons, usage, response parts and errors in unified terms.
enum GeminiMapping {
    /// STOP with a functionCall part is a tool call: Gemini has no TOOL_CALLS reason.
    static func finishReason(_ s: String, hasFunctionCall: Bool) -> FinishReason {
        switch s {
        case "MAX_TOKENS": return .length
        case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
             "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
            return .contentFilter
        case "MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS": return .error
        default: return hasFunctionCall ? .toolCalls : .stop
        }
    }

    /// promptTokenCount includes the cached tokens; thoughts are not in candidatesTokenCount;
    /// toolUsePromptTokenCount counts as input.
    static func usage(_ u: JSONValue) -> Usage {
        let prompt = u.int("promptTokenCount") ?? 0
        let cached = u.int("cachedContentTokenCount") ?? 0
        let toolUse = u.int("toolUsePromptTokenCount") ?? 0
        let candidates = u.int("candidatesTokenCount") ?? 0
        let thoughts = u.int("thoughtsTokenCount") ?? 0
        return Usage(inputTokens: max(0, prompt - cached) + toolUse, outputTokens: candidates + thoughts,
                     cacheReadInputTokens: cached, cacheCreationInputTokens: 0, reasoningTokens: thoughts)
    }

    /// One part of a candidate's content, in unified terms.
    enum Part {
        case text(String), thought(String), functionCall(ToolCall), other
    }

    static func part(_ p: JSONValue) -> Part {
        if let fc = p.present("functionCall") {
            let args = fc["args"] ?? .object(JSONObject())
            // The signature (Gemini 3 gives it on a step's first call) rides in the id: see ToolCallID.
            let id = ToolCallID.carrying(fc.string("id") ?? ToolCallID.make(), signature: p.string("thoughtSignature"))
            return .functionCall(ToolCall(id: id, name: fc.string("name") ?? "", arguments: JSONWriter.string(args)))
        }
        if let t = p.string("text") { return p["thought"]?.boolValue == true ? .thought(t) : .text(t) }
        return .other
    }

    /// `{"error": {"code","message","status","details"}}` (or that wrapped in an array) classified.
    /// `status` is 200 for an error inside a stream; its `code` then guides the classification.
    static func error(_ body: JSONValue?, rawBody: [UInt8], status: Int, headers: [(String, String)], key: SecretKey?) -> ProviderError {
        let e = (body?.arrayValue?.first ?? body)?["error"]
        let rawMessage = e?.string("message")
        let message = ErrorClassifier.message(rawMessage, body: rawBody, status: status, key: key)
        let details = e?.array("details") ?? []
        let reasons = details.compactMap { $0.string("reason") }
        let retryDelay = details.first { $0.string("@type")?.hasSuffix("google.rpc.RetryInfo") == true }?.string("retryDelay")
        let code = status == 200 ? (e?.int("code") ?? 500) : status
        let kind: ProviderError.Kind
        if reasons.contains("API_KEY_INVALID") {
            kind = .authFailed
        } else {
            switch e?.string("status") {
            case "RESOURCE_EXHAUSTED": kind = .rateLimited
            case "UNAVAILABLE": kind = .overloaded
            case "NOT_FOUND": kind = .notFound
            case "PERMISSION_DENIED", "UNAUTHENTICATED": kind = .authFailed
            case "INTERNAL", "DEADLINE_EXCEEDED", "UNKNOWN": kind = .server
            case "INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE":
                kind = ErrorClassifier.isContextWindow(rawMessage ?? "") ? .contextWindowExceeded : .invalidRequest
            default:
                let k = ErrorClassifier.kind(status: code)
                kind = k == .invalidRequest && ErrorClassifier.isContextWindow(rawMessage ?? "") ? .contextWindowExceeded : k
            }
        }
        let retry = retryDelay.flatMap(RetryAfter.duration) ?? RetryAfter.milliseconds(headers: headers)
        return ProviderError(kind: kind, status: status, message: message, retryAfterMs: retry)
    }
}
