import LLMDomain

/// The catalogue shipped inside the binary: current Anthropic, OpenAI and Google models with
/// list prices, limits, and the source and date of every figure. The data is the JSON document
/// in `DefaultCatalog.json.swift`, read with ``CatalogImport`` — nothing is fetched at run time.
public enum DefaultCatalog {
    /// The default models, in the file's order. The JSON is checked by the tests; a broken
    /// catalogue stops the program at first use with the parser's message.
    public static let entries: [CatalogEntry] = {
        do {
            return try CatalogImport.parse(Array(json.utf8)).entries
        } catch {
            fatalError("the built-in model catalogue (DefaultCatalog.json.swift) is invalid: \(error)")
        }
    }()

    /// The default entry for `provider` and `modelName`, if any.
    public static func entry(provider: Provider, modelName: String) -> CatalogEntry? {
        entries.first { $0.provider == provider && $0.modelName == modelName }
    }
}
