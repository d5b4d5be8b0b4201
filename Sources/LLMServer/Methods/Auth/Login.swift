import FoundationEssentials
import JSONRPC
import LLMCrypto
import LLMDomain
import LLMJSON

/// `login/accessToken`: email and password → a JWT; binds this session to the user.
/// Unknown email and wrong password get the same answer (and the same work: a dummy hash is
/// checked for unknown users). Five failures for one username within 15 minutes → `429`.
struct LoginMethod: RPCMethod {
    static let name = "login/accessToken"
    static let changesSession = true
    static let access = MethodAccess.anyone
    static let maxFailures = 5
    static let window: TimeInterval = 15 * 60

    struct Params: RPCParams {
        var username: String
        var password: String
        init(_ p: JSONRPC.Params) throws {
            username = try p.string("username").trimmingWhitespace()
            password = try p.string("password")
        }
    }

    static func handle(_ params: Params, _ ctx: MethodContext) async throws -> JSONValue {
        let db = ctx.db
        let now = Date()
        let since = now.addingTimeInterval(-window)
        let failures = try db.loginFailureTimes(username: params.username, since: since)
        if failures.count >= maxFailures, let oldest = failures.min() {
            let retry = max(1000, Int(oldest.addingTimeInterval(window).timeIntervalSince(now) * 1000))
            throw DomainError(.rateLimited, "Too many failed logins for this username; try again later",
                              retryAfterMs: retry)
        }
        let user = try db.user(email: params.username)
        let ok = PasswordHasher.verify(params.password, hash: user?.passwordHash ?? PasswordHasher.dummyHash)
        guard ok, let user else {
            try db.recordLoginFailure(username: params.username, at: now)
            throw DomainError(.invalidCredentials, "Incorrect email or password")
        }
        guard user.isActive else { throw DomainError(.inactiveUser, "This user is deactivated") }
        try db.clearLoginFailures(username: params.username)
        let (token, expiresAt) = try await ctx.services.tokens.issue(userID: user.id, now: now)
        ctx.session.bind(userID: user.id)
        ctx.services.logger.info("login", metadata: ["user_id": "\(user.id)"])
        return ["access_token": .string(token), "token_type": "bearer", "expires_at": .string(Timestamps.rfc3339(expiresAt))]
    }
}
