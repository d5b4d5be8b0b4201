import JSONRPC
import LLMCatalog
import LLMDomain
import LLMJSON
import LLMStore

/// Price and model-field parsing shared by the admin model methods.
enum ModelParams {
    static func price(_ p: JSONRPC.Params, _ field: String) throws -> JSONRPC.Params.Patch<PricePerMillion> {
        switch try p.patchDecimal(field) {
        case .absent: return .absent
        case .null: return .null
        case .value(let d):
            guard let price = PricePerMillion(usdPerMillion: d) else {
                throw RPCError.invalidParams(field: field,
                                             "'\(field)' must be a non-negative price in USD per million tokens with at most 6 decimals")
            }
            return .value(price)
        }
    }

    static func positive(_ p: JSONRPC.Params, _ field: String) throws -> Int? {
        guard let i = try p.optionalInt(field) else { return nil }
        guard i > 0 else { throw RPCError.invalidParams(field: field, "'\(field)' must be a positive integer") }
        return i
    }

    static func provider(_ p: JSONRPC.Params) throws -> Provider {
        let s = try p.string("provider")
        guard let prov = Provider(rawValue: s) else {
            throw RPCError.invalidParams(field: "provider", "'provider' must be one of anthropic, openai, google")
        }
        return prov
    }

    static func nonEmpty(_ s: String, _ field: String) throws -> String {
        let t = s.trimmingWhitespaceAndNewlines()
        guard !t.isEmpty, t.utf8.count <= 200 else {
            throw RPCError.invalidParams(field: field, "'\(field)' must be a non-empty name of at most 200 bytes")
        }
        return t
    }
}

/// `admin/llmModels/create`: a catalogue entry; prices may be null (unpriced).
struct CreateModelMethod: RPCMethod {
    static let name = "admin/llmModels/create"
    static let access = MethodAccess.superuser

    struct Params: RPCParams {
        var model: NewModel
        init(_ p: JSONRPC.Params) throws {
            let provider = try ModelParams.provider(p)
            let name = try ModelParams.nonEmpty(try p.string("model_name"), "model_name")
            for required in ["input_price_per_million", "output_price_per_million"] where !p.has(required) {
                throw RPCError.invalidParams(field: required, "'\(required)' is required (null for an unpriced model)")
            }
            func value(_ f: String) throws -> PricePerMillion? {
                if case .value(let v) = try ModelParams.price(p, f) { return v }
                return nil
            }
            model = NewModel(
                provider: provider, modelName: name,
                displayName: try p.optionalString("display_name").map { try ModelParams.nonEmpty($0, "display_name") } ?? name,
                prices: ModelPrices(input: try value("input_price_per_million"),
                                    output: try value("output_price_per_million"),
                                    cachedInput: try value("cached_input_price_per_million"),
                                    cacheWrite: try value("cache_write_price_per_million")),
                contextWindow: try ModelParams.positive(p, "context_window"),
                maxOutputTokens: try ModelParams.positive(p, "max_output_tokens"),
                supportsStreaming: try p.optionalBool("supports_streaming") ?? true,
                supportsTools: try p.optionalBool("supports_tools") ?? true,
                isActive: try p.optionalBool("is_active") ?? true,
                source: "admin", checkedOn: nil)
        }
    }

    static func handle(_ params: Params, _ ctx: MethodContext) async throws -> JSONValue {
        let m = try ctx.db.createModel(params.model)
        return ModelJSON.model(m, keySource: nil)
    }
}

/// `admin/llmModels/update`: changes the given fields; a price change applies to later requests only.
struct UpdateModelMethod: RPCMethod {
    static let name = "admin/llmModels/update"
    static let access = MethodAccess.superuser

    struct Params: RPCParams {
        var id: String
        var changes: ModelChanges
        init(_ p: JSONRPC.Params) throws {
            id = try p.string("id").lowercased()
            var c = ModelChanges()
            c.displayName = try p.optionalString("display_name").map { try ModelParams.nonEmpty($0, "display_name") }
            c.modelName = try p.optionalString("model_name").map { try ModelParams.nonEmpty($0, "model_name") }
            c.inputPrice = try ModelParams.price(p, "input_price_per_million").asDoubleOptional
            c.outputPrice = try ModelParams.price(p, "output_price_per_million").asDoubleOptional
            c.cachedInputPrice = try ModelParams.price(p, "cached_input_price_per_million").asDoubleOptional
            c.cacheWritePrice = try ModelParams.price(p, "cache_write_price_per_million").asDoubleOptional
            c.contextWindow = try ModelParams.positive(p, "context_window")
            c.maxOutputTokens = try ModelParams.positive(p, "max_output_tokens")
            c.supportsStreaming = try p.optionalBool("supports_streaming")
            c.supportsTools = try p.optionalBool("supports_tools")
            c.isActive = try p.optionalBool("is_active")
            changes = c
        }
    }

    static func handle(_ params: Params, _ ctx: MethodContext) async throws -> JSONValue {
        let m = try ctx.db.updateModel(id: params.id, params.changes)
        return ModelJSON.model(m, keySource: nil)
    }
}

/// `admin/llmModels/delete`: removes a catalogue entry; logged usage keeps its name and prices.
struct DeleteModelMethod: RPCMethod {
    static let name = "admin/llmModels/delete"
    static let access = MethodAccess.superuser

    struct Params: RPCParams {
        var id: String
        init(_ p: JSONRPC.Params) throws { id = try p.string("id").lowercased() }
    }

    static func handle(_ params: Params, _ ctx: MethodContext) async throws -> JSONValue {
        try ctx.db.deleteModel(id: params.id)
        return ["id": .string(params.id), "deleted": true]
    }
}
