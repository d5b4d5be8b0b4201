import JSONRPC
import LLMDomain
import LLMHTTP
import LLMJSON
import LLMStore

/// The one place that turns errors into JSON-RPC error objects (PROTOCOL.md §4).
/// Nothing here ever includes a stack trace or a secret.
enum ErrorMapping {
    static func wire(_ error: Error) -> RPCError {
        switch error {
        case let e as RPCError:
            return e
        case let e as DomainError:
            return domain(e)
        case let e as ChatFailure:
            return e.wire
        case let e as ProviderError:
            return upstream(e, provider: nil)
        case let e as HTTPError:
            return transport(e, provider: nil)
        case is CancellationError:
            return .cancelled
        default:
            return .internalError()
        }
    }

    static func domain(_ e: DomainError) -> RPCError {
        var extra = JSONObject()
        if let f = e.field { extra["field"] = .string(f) }
        if let r = e.retryAfterMs { extra["retry_after_ms"] = .int(r) }
        for (k, v) in e.extra.sorted(by: { $0.key < $1.key }) {
            if let n = JSONNumberLiteral.parse(v) { extra[k] = .number(n) } else { extra[k] = .string(v) }
        }
        let code: Int
        var retryable = false
        switch e.kind {
        case .missingAPIKey, .modelInactive, .contextWindowExceeded, .badRequest: code = 400
        case .unauthenticated, .tokenExpired, .invalidCredentials: code = 401
        case .budgetExceeded: code = 402
        case .forbidden, .inactiveUser: code = 403
        case .modelNotFound, .conversationNotFound, .userNotFound, .notFound: code = 404
        case .emailExists, .modelExists, .conflict: code = 409
        case .rateLimited: code = 429; retryable = true
        case .invalidParams: code = -32602
        case .storage, .crypto: code = -32603
        }
        return RPCError(code: code, message: e.message, type: e.kind.rawValue, retryable: retryable, extra: extra)
    }

    /// A provider's error response, before any output reached the client.
    static func upstream(_ e: ProviderError, provider: Provider?) -> RPCError {
        var extra: JSONObject = ["upstream_status": .int(e.status), "upstream_message": .string(e.message)]
        if let p = provider { extra["provider"] = .string(p.rawValue) }
        switch e.kind {
        case .rateLimited:
            extra["retry_after_ms"] = .int(e.retryAfterMs ?? 1000)
            return RPCError(code: 429, message: "The provider is rate limiting requests", type: "upstream_rate_limited",
                            retryable: true, extra: extra)
        case .overloaded:
            if let r = e.retryAfterMs { extra["retry_after_ms"] = .int(r) }
            return RPCError(code: 503, message: "The provider is overloaded", type: "upstream_unavailable",
                            retryable: true, extra: extra)
        case .authFailed:
            return RPCError(code: 502, message: "The provider refused the API key", type: "upstream_auth_failed", extra: extra)
        case .quotaExceeded:
            return RPCError(code: 502, message: "The provider account has no quota left", type: "upstream_quota_exceeded",
                            extra: extra)
        case .contextWindowExceeded:
            return RPCError(code: 400, message: "The prompt exceeds the model's context window",
                            type: "context_window_exceeded", extra: extra)
        case .invalidRequest:
            return RPCError(code: 502, message: "The provider rejected the request", type: "upstream_invalid_request",
                            extra: extra)
        case .notFound:
            return RPCError(code: 502, message: "The provider does not know this model", type: "upstream_not_found",
                            extra: extra)
        case .server, .other:
            return RPCError(code: 502, message: "The provider failed", type: "upstream_error", extra: extra)
        }
    }

    static func transport(_ e: HTTPError, provider: Provider?) -> RPCError {
        var extra = JSONObject()
        if let p = provider { extra["provider"] = .string(p.rawValue) }
        switch e.kind {
        case .timedOut, .idleTimeout:
            return RPCError(code: 504, message: "The provider timed out", type: "upstream_timeout", retryable: true, extra: extra)
        case .cancelled:
            return .cancelled
        case .bodyTooLarge:
            return RPCError(code: 502, message: "The provider's answer is too large", type: "upstream_error", extra: extra)
        case .connectFailed, .transport:
            return RPCError(code: 503, message: "The provider is unreachable", type: "upstream_unavailable",
                            retryable: true, extra: extra)
        }
    }
}

/// Parses a string that is a JSON number literal (for numeric `DomainError.extra` values).
enum JSONNumberLiteral {
    static func parse(_ s: String) -> JSONNumber? {
        guard let v = try? JSONParser.parse(s), case .number(let n) = v else { return nil }
        return n
    }
}
