import LLMCatalog
import LLMDomain
import LLMJSON
import LLMStore

/// The model object of PROTOCOL.md §3.6.
enum ModelJSON {
    static func model(_ m: ModelRecord, keySource: String?) -> JSONValue {
        let p = m.pricing
        return [
            "id": .string(m.id), "provider": .string(m.provider.rawValue), "model_name": .string(m.modelName),
            "display_name": .string(m.displayName),
            "input_price_per_million": .price(p.input),
            "output_price_per_million": .price(p.output),
            "cached_input_price_per_million": .price(p.cachedInput),
            "cache_write_price_per_million": .price(p.cacheWrite),
            "context_window": .optional(m.contextWindow), "max_output_tokens": .optional(m.maxOutputTokens),
            "supports_streaming": .bool(m.supportsStreaming), "supports_tools": .bool(m.supportsTools),
            "is_active": .bool(m.isActive), "priced": .bool(p.input != nil && p.output != nil),
            "key_source": .optional(keySource),
        ]
    }
}
