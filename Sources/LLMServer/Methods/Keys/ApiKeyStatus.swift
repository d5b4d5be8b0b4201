import JSONRPC
import LLMDomain
import LLMJSON

/// `users/me/apiKeyStatus`: per provider, whether the caller and the system have a key,
/// the caller's key masked, and which one a chat request would use.
struct ApiKeyStatusMethod: RPCMethod {
    static let name = "users/me/apiKeyStatus"
    static let access = MethodAccess.user

    static func handle(_ params: NoParams, _ ctx: MethodContext) async throws -> JSONValue {
        try status(ctx)
    }

    static func status(_ ctx: MethodContext) throws -> JSONValue {
        let states = try KeyResolver(services: ctx.services).states(userID: ctx.caller.id)
        var out = JSONObject()
        for p in Provider.allCases {
            let s = states[p]!
            var entry: JSONObject = [
                "has_user_key": .bool(s.hasUserKey),
                "masked_key": .optional(s.userKey?.masked),
                "has_system_key": .bool(s.systemKey != nil),
                "active_source": .optional(s.activeSource?.rawValue),
            ]
            if let err = s.userKeyError { entry["user_key_error"] = .string(err) }
            out[p.rawValue] = .object(entry)
        }
        return .object(out)
    }
}

/// `users/me/apiKey/update`: PATCH — a string sets, null removes, absent keeps.
struct ApiKeyUpdateMethod: RPCMethod {
    static let name = "users/me/apiKey/update"
    static let access = MethodAccess.user

    struct Params: RPCParams {
        var changes: [Provider: SecretKey?]
        init(_ p: JSONRPC.Params) throws { changes = try KeyValidation.patch(p) }
    }

    static func handle(_ params: Params, _ ctx: MethodContext) async throws -> JSONValue {
        let uid = ctx.caller.id
        let sealed = KeyValidation.seal(params.changes, services: ctx.services) { KeyResolver.userAD(uid, $0) }
        try ctx.db.updateUserKeys(userId: uid, changes: sealed, masterKeyId: ctx.services.masterKeyID)
        ctx.services.logger.info("user keys updated", metadata: [
            "user_id": "\(uid)", "providers": "\(params.changes.keys.map(\.rawValue).sorted().joined(separator: ","))",
        ])
        return try ApiKeyStatusMethod.status(ctx)
    }
}

/// `users/me/apiKey/delete`: `{"provider"}` or `{}` for all three.
struct ApiKeyDeleteMethod: RPCMethod {
    static let name = "users/me/apiKey/delete"
    static let access = MethodAccess.user

    struct Params: RPCParams {
        var provider: Provider?
        init(_ p: JSONRPC.Params) throws { provider = try KeyValidation.provider(p) }
    }

    static func handle(_ params: Params, _ ctx: MethodContext) async throws -> JSONValue {
        try ctx.db.deleteUserKey(userId: ctx.caller.id, provider: params.provider)
        return try ApiKeyStatusMethod.status(ctx)
    }
}
