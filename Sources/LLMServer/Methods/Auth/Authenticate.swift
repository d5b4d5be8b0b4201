import JSONRPC
import LLMDomain
import LLMJSON
import LLMStore

/// `session/authenticate`: binds (or switches) this session to the user of a token.
struct AuthenticateMethod: RPCMethod {
    static let name = "session/authenticate"
    static let changesSession = true
    static let access = MethodAccess.anyone

    struct Params: RPCParams {
        var accessToken: String
        init(_ p: JSONRPC.Params) throws { accessToken = try p.string("access_token") }
    }

    static func handle(_ params: Params, _ ctx: MethodContext) async throws -> JSONValue {
        let user = try await SessionAuth.userForToken(params.accessToken, services: ctx.services)
        ctx.session.bind(userID: user.id)
        return try UserJSON.me(user, db: ctx.db)
    }
}

/// Token → active user, shared by `session/authenticate` and `LLMRPC_ACCESS_TOKEN`.
enum SessionAuth {
    static func userForToken(_ token: String, services: Services) async throws -> UserRecord {
        let id = try await services.tokens.verify(token)
        guard let user = try services.db.user(id: id) else {
            throw DomainError(.unauthenticated, "The access token's user does not exist")
        }
        guard user.isActive else { throw DomainError(.inactiveUser, "This user is deactivated") }
        return user
    }
}
