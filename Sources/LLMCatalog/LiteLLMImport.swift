import LLMDomain
import LLMJSON

/// Converts LiteLLM's `model_prices_and_context_window.json` (model key → entry, prices in USD
/// per single token such as `3e-06`) into catalogue entries.
///
/// Rules, in order (the first that applies decides; each skip is recorded with its reason):
/// 1. `sample_spec` is LiteLLM's field documentation, not a model: skipped.
/// 2. The entry must be an object with a `litellm_provider` of `anthropic`, `openai` or
///    `gemini` (→ google, the Developer API). Vertex (`vertex_ai-*`), Bedrock, Azure and every
///    other provider are skipped: their model ids, endpoints and keys are not ours.
/// 3. Only `mode: "chat"` is imported. A missing mode is skipped too (it marks LiteLLM's
///    generic fallback tables), as are `responses`, `embedding`, image, audio, realtime, …
/// 4. The model name is the key, without the `gemini/` prefix of Google AI Studio entries
///    (`gemini/gemini-2.5-pro` → `gemini-2.5-pro`); a name that still contains `/` is not a
///    bare model id (e.g. `openai/container`, a tool's price): skipped.
/// 5. Prices: `input_cost_per_token`, `output_cost_per_token`, `cache_read_input_token_cost`,
///    `cache_creation_input_token_cost`, converted exactly to per-million from the number's
///    literal text. A price that is not a number, negative or finer than a picodollar per
///    token skips the entry. Only the base tier is read (`*_above_200k_tokens`,
///    `*_above_272k_tokens`, batch/flex/priority rates are ignored); `source` then says so.
/// 6. A chat model of a known provider without an input or output price is **imported
///    unpriced** (its calls report `priced: false`, never a cost of 0) so an administrator
///    can see it and set prices; ``ImportResult/unpricedCount`` counts them.
/// 7. A second entry with the same provider and model name is skipped as a duplicate (LiteLLM
///    has both `gemini-flash-latest` and `gemini/gemini-flash-latest`): the first one wins.
///
/// `context_window` is `max_input_tokens`, `max_output_tokens` is `max_output_tokens` (the
/// legacy `max_tokens` is ignored); `supports_tools` is `supports_function_calling`;
/// `supports_streaming` is `supports_native_streaming` when present, else true. The display
/// name is the model name.
public enum LiteLLMImport {
    static let providers: [String: Provider] = ["anthropic": .anthropic, "openai": .openai, "gemini": .google]

    static let priceFields = (
        input: "input_cost_per_token", output: "output_cost_per_token",
        cacheRead: "cache_read_input_token_cost", cacheWrite: "cache_creation_input_token_cost")

    static func parse(_ root: JSONObject, checkedOn: String) -> ImportResult {
        var entries: [CatalogEntry] = []
        var skipped: [(key: String, reason: String)] = []
        var seen: Set<String> = []
        for (key, value) in root {
            switch convert(key: key, value: value, checkedOn: checkedOn) {
            case .failure(let reason):
                skipped.append((key: key, reason: reason.text))
            case .success(let entry):
                if seen.insert("\(entry.provider.rawValue)/\(entry.modelName)").inserted {
                    entries.append(entry)
                } else {
                    skipped.append((key: key, reason: "duplicate of an earlier \(entry.provider.rawValue) entry for \(entry.modelName)"))
                }
            }
        }
        return ImportResult(format: .litellm, entries: entries, skipped: skipped)
    }

    struct Skip: Error { var text: String; init(_ text: String) { self.text = text } }

    static func convert(key: String, value: JSONValue, checkedOn: String) -> Result<CatalogEntry, Skip> {
        if key == "sample_spec" { return .failure(Skip("sample_spec documents LiteLLM's fields; not a model")) }
        guard let o = value.objectValue else { return .failure(Skip("not an object")) }
        guard let providerName = o["litellm_provider"]?.stringValue else { return .failure(Skip("no litellm_provider")) }
        guard let provider = providers[providerName] else {
            return .failure(Skip("provider \(providerName) is not supported (only anthropic, openai, gemini)"))
        }
        guard let mode = o["mode"]?.stringValue else { return .failure(Skip("no mode; only chat models are imported")) }
        guard mode == "chat" else { return .failure(Skip("mode \(mode) is not chat")) }
        let modelName = provider == .google && key.hasPrefix("gemini/") ? String(key.dropFirst("gemini/".count)) : key
        guard !modelName.isEmpty, !modelName.contains("/") else { return .failure(Skip("\(key) is not a bare model id")) }

        let pricing: ModelPricing
        do {
            pricing = ModelPricing(
                input: try price(o, priceFields.input), output: try price(o, priceFields.output),
                cachedInput: try price(o, priceFields.cacheRead), cacheWrite: try price(o, priceFields.cacheWrite))
        } catch let skip as Skip {
            return .failure(skip)
        } catch {
            return .failure(Skip("\(error)"))
        }

        var source = "LiteLLM model_prices_and_context_window.json"
        if let upstream = o["source"]?.stringValue, !upstream.isEmpty { source += " (source: \(upstream))" }
        if let tier = o.keys.first(where: { $0.hasPrefix("input_cost_per_token_above_") }) {
            let threshold = tier.dropFirst("input_cost_per_token_above_".count).replacing("_tokens", with: "")
            source += "; base-tier prices (≤\(threshold.uppercased()) input), the higher tier is not modelled"
        }
        return .success(CatalogEntry(
            provider: provider, modelName: modelName, displayName: modelName, pricing: pricing,
            contextWindow: positiveInt(o["max_input_tokens"]),
            maxOutputTokens: positiveInt(o["max_output_tokens"]),
            supportsStreaming: o["supports_native_streaming"]?.boolValue ?? true,
            supportsTools: o["supports_function_calling"]?.boolValue ?? false,
            source: source, checkedOn: checkedOn))
    }

    /// A per-token price converted exactly to per-million; nil when absent or null.
    static func price(_ o: JSONObject, _ field: String) throws -> PricePerMillion? {
        guard let v = o[field], !v.isNull else { return nil }
        guard let number = v.numberValue, let perToken = number.decimalValue else {
            throw Skip("\(field) is not a number")
        }
        guard let p = PricePerMillion(usdPerToken: perToken) else {
            throw Skip("\(field) \(number.text) is negative or finer than a picodollar per token")
        }
        return p
    }

    static func positiveInt(_ v: JSONValue?) -> Int? {
        guard let n = v?.intValue, n > 0 else { return nil }
        return n
    }
}
