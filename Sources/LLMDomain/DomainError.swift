/// Errors of the service's domain. One function in LLMServer maps them to JSON-RPC errors.
public struct DomainError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        // 400
        case missingAPIKey = "missing_api_key"
        case modelInactive = "model_inactive"
        case contextWindowExceeded = "context_window_exceeded"
        case badRequest = "bad_request"
        // 401
        case unauthenticated, tokenExpired = "token_expired", invalidCredentials = "invalid_credentials"
        // 402
        case budgetExceeded = "budget_exceeded"
        // 403
        case forbidden, inactiveUser = "inactive_user"
        // 404
        case modelNotFound = "model_not_found", conversationNotFound = "conversation_not_found"
        case userNotFound = "user_not_found", notFound = "not_found"
        // 409
        case emailExists = "email_exists", modelExists = "model_exists", conflict
        // 429
        case rateLimited = "rate_limited"
        // -32602
        case invalidParams = "invalid_params"
        // 500-ish: storage or configuration trouble the user can fix
        case storage = "storage_error", crypto = "crypto_error"
    }
    public var kind: Kind
    public var message: String
    /// For invalidParams: the offending field.
    public var field: String?
    /// Extra fields for `error.data` (e.g. retry_after_ms, remaining budget). Values are JSON-ready.
    public var retryAfterMs: Int?
    public var extra: [String: String]

    public init(_ kind: Kind, _ message: String, field: String? = nil, retryAfterMs: Int? = nil, extra: [String: String] = [:]) {
        self.kind = kind
        self.message = message
        self.field = field
        self.retryAfterMs = retryAfterMs
        self.extra = extra
    }

    public static func invalidParams(_ field: String, _ message: String) -> DomainError {
        DomainError(.invalidParams, message, field: field)
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}
