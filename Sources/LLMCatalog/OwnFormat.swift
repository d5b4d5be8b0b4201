import LLMDomain
import LLMJSON

/// Our catalogue format, version 1:
///
///     {"version": 1, "models": [
///       {"provider": "anthropic", "model_name": "claude-sonnet-4-5",
///        "display_name": "Claude Sonnet 4.5",
///        "input_price_per_million": 3, "output_price_per_million": 15,
///        "cached_input_price_per_million": 0.3, "cache_write_price_per_million": 3.75,
///        "context_window": 200000, "max_output_tokens": 64000,
///        "supports_streaming": true, "supports_tools": true,
///        "source": "https://…", "checked_on": "2026-11-29"}]}
///
/// Required: `provider` (anthropic, openai, google) and `model_name`. Prices are USD per
/// million tokens (null or absent = no price); `display_name` defaults to the model name,
/// the `supports_*` flags to true, `source` and `checked_on` to "".
enum OwnFormat {
    static let knownFields: Set<String> = [
        "provider", "model_name", "display_name", "input_price_per_million", "output_price_per_million",
        "cached_input_price_per_million", "cache_write_price_per_million", "context_window",
        "max_output_tokens", "supports_streaming", "supports_tools", "source", "checked_on",
    ]

    static func parse(_ root: JSONObject) throws -> ImportResult {
        guard root["version"]?.intValue == CatalogImport.currentVersion else {
            throw CatalogImportError("unsupported catalogue version \(root["version"].map { JSONWriter.string($0) } ?? "null"); this build reads version \(CatalogImport.currentVersion)")
        }
        let models = root["models"]?.arrayValue ?? []
        var entries: [CatalogEntry] = []
        var seen: Set<String> = []
        for (i, value) in models.enumerated() {
            let entry = try parseEntry(value, at: "models[\(i)]")
            guard seen.insert("\(entry.provider.rawValue)/\(entry.modelName)").inserted else {
                throw CatalogImportError("models[\(i)]: duplicate model \(entry.provider.rawValue)/\(entry.modelName)")
            }
            entries.append(entry)
        }
        return ImportResult(format: .llmrpc, entries: entries, skipped: [])
    }

    static func parseEntry(_ value: JSONValue, at path: String) throws -> CatalogEntry {
        guard let o = value.objectValue else { throw CatalogImportError("\(path): expected an object, got \(value.typeName)") }
        if let unknown = o.keys.first(where: { !knownFields.contains($0) }) {
            throw CatalogImportError("\(path): unknown field \"\(unknown)\"")
        }
        let providerName = try string(o, "provider", path) ?? ""
        guard let provider = Provider(rawValue: providerName) else {
            throw CatalogImportError("\(path).provider: expected one of anthropic, openai, google, got \"\(providerName)\"")
        }
        guard let modelName = try string(o, "model_name", path), !modelName.isEmpty else {
            throw CatalogImportError("\(path).model_name: required")
        }
        let pricing = ModelPricing(
            input: try price(o, "input_price_per_million", path),
            output: try price(o, "output_price_per_million", path),
            cachedInput: try price(o, "cached_input_price_per_million", path),
            cacheWrite: try price(o, "cache_write_price_per_million", path))
        return CatalogEntry(
            provider: provider, modelName: modelName,
            displayName: try string(o, "display_name", path) ?? modelName,
            pricing: pricing,
            contextWindow: try tokens(o, "context_window", path),
            maxOutputTokens: try tokens(o, "max_output_tokens", path),
            supportsStreaming: try bool(o, "supports_streaming", path) ?? true,
            supportsTools: try bool(o, "supports_tools", path) ?? true,
            source: try string(o, "source", path) ?? "",
            checkedOn: try string(o, "checked_on", path) ?? "")
    }

    static func string(_ o: JSONObject, _ key: String, _ path: String) throws -> String? {
        guard let v = o[key], !v.isNull else { return nil }
        guard let s = v.stringValue else { throw CatalogImportError("\(path).\(key): expected a string, got \(v.typeName)") }
        return s
    }

    static func bool(_ o: JSONObject, _ key: String, _ path: String) throws -> Bool? {
        guard let v = o[key], !v.isNull else { return nil }
        guard let b = v.boolValue else { throw CatalogImportError("\(path).\(key): expected a boolean, got \(v.typeName)") }
        return b
    }

    static func tokens(_ o: JSONObject, _ key: String, _ path: String) throws -> Int? {
        guard let v = o[key], !v.isNull else { return nil }
        guard let n = v.intValue, n > 0 else { throw CatalogImportError("\(path).\(key): expected a positive integer, got \(JSONWriter.string(v))") }
        return n
    }

    static func price(_ o: JSONObject, _ key: String, _ path: String) throws -> PricePerMillion? {
        guard let v = o[key], !v.isNull else { return nil }
        guard let d = v.numberValue?.decimalValue, let p = PricePerMillion(usdPerMillion: d) else {
            throw CatalogImportError("\(path).\(key): expected a non-negative price in USD per million tokens with at most 6 decimals, got \(JSONWriter.string(v))")
        }
        return p
    }
}
