import JSONRPC
import LLMDomain
import LLMJSON

/// `llmModels/list`: the models whose provider has a key for the caller (theirs or a system
/// key), with prices and `key_source`. A superuser may ask for unavailable ones too.
struct ListModelsMethod: RPCMethod {
    static let name = "llmModels/list"
    static let access = MethodAccess.user

    struct Params: RPCParams {
        var isActive: Bool
        var provider: Provider?
        var includeUnavailable: Bool
        init(_ p: JSONRPC.Params) throws {
            isActive = try p.optionalBool("is_active") ?? true
            provider = try KeyValidation.provider(p)
            includeUnavailable = try p.optionalBool("include_unavailable") ?? false
        }
    }

    static func handle(_ params: Params, _ ctx: MethodContext) async throws -> JSONValue {
        if params.includeUnavailable, !ctx.caller.isSuperuser {
            throw DomainError(.forbidden, "include_unavailable needs a superuser")
        }
        let states = try KeyResolver(services: ctx.services).states(userID: ctx.caller.id)
        let models = try ctx.db.listModels(activeOnly: params.isActive, provider: params.provider)
        let data: [JSONValue] = models.compactMap { m in
            let source = states[m.provider]?.activeSource?.rawValue
            if source == nil, !params.includeUnavailable { return nil }
            return ModelJSON.model(m, keySource: source)
        }
        return ["data": .array(data), "count": .int(data.count)]
    }
}
