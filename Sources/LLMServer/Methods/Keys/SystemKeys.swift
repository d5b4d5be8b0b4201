import JSONRPC
import LLMDomain
import LLMJSON

/// `admin/llmKeys/list`: the system fallback keys, from `.env` and from the database (which wins).
struct SystemKeysListMethod: RPCMethod {
    static let name = "admin/llmKeys/list"
    static let access = MethodAccess.superuser

    static func handle(_ params: NoParams, _ ctx: MethodContext) async throws -> JSONValue {
        try list(ctx)
    }

    static func list(_ ctx: MethodContext) throws -> JSONValue {
        let states = try KeyResolver(services: ctx.services).states(userID: nil)
        let stored = try ctx.db.systemKeys()
        var out = JSONObject()
        for p in Provider.allCases {
            let s = states[p]!
            let active: String? = s.dbSystemKey != nil ? "db" : (s.envSystemKey != nil ? "env" : nil)
            out[p.rawValue] = [
                "has_env_key": .bool(s.envSystemKey != nil), "env_masked_key": .optional(s.envSystemKey?.masked),
                "has_db_key": .bool(stored[p] != nil), "db_masked_key": .optional(s.dbSystemKey?.masked),
                "active_source": .optional(active),
            ]
        }
        return .object(out)
    }
}

/// `admin/llmKeys/update`: sets or removes database system keys (PATCH semantics).
struct SystemKeysUpdateMethod: RPCMethod {
    static let name = "admin/llmKeys/update"
    static let access = MethodAccess.superuser

    struct Params: RPCParams {
        var changes: [Provider: SecretKey?]
        init(_ p: JSONRPC.Params) throws { changes = try KeyValidation.patch(p) }
    }

    static func handle(_ params: Params, _ ctx: MethodContext) async throws -> JSONValue {
        let sealed = KeyValidation.seal(params.changes, services: ctx.services, associatedData: KeyResolver.systemAD)
        try ctx.db.updateSystemKeys(changes: sealed, masterKeyId: ctx.services.masterKeyID)
        ctx.services.logger.info("system keys updated", metadata: ["by": "\(ctx.caller.id)"])
        return try SystemKeysListMethod.list(ctx)
    }
}

/// `admin/llmKeys/delete`: `{"provider"}` or `{}` for all three database keys.
struct SystemKeysDeleteMethod: RPCMethod {
    static let name = "admin/llmKeys/delete"
    static let access = MethodAccess.superuser

    struct Params: RPCParams {
        var provider: Provider?
        init(_ p: JSONRPC.Params) throws { provider = try KeyValidation.provider(p) }
    }

    static func handle(_ params: Params, _ ctx: MethodContext) async throws -> JSONValue {
        try ctx.db.deleteSystemKey(provider: params.provider)
        return try SystemKeysListMethod.list(ctx)
    }
}
