import FoundationEssentials
import LLMDomain
import LLMJSON

/// A catalogue file that cannot be imported at all (as opposed to single skipped entries).
public struct CatalogImportError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The outcome of an import: the models to use and the entries left out, with why.
public struct ImportResult: Sendable {
    /// The two file formats ``CatalogImport`` reads.
    public enum Format: String, Sendable {
        /// Our own `{"version": 1, "models": [...]}` (the format of the default catalogue).
        case llmrpc
        /// LiteLLM's `model_prices_and_context_window.json`.
        case litellm
    }

    public var format: Format
    /// Imported models, in file order.
    public var entries: [CatalogEntry]
    /// Entries left out: the file's key (LiteLLM) or "models[i]" and the reason.
    public var skipped: [(key: String, reason: String)]

    public init(format: Format, entries: [CatalogEntry], skipped: [(key: String, reason: String)]) {
        self.format = format
        self.entries = entries
        self.skipped = skipped
    }

    /// How many imported entries have no input or output price (their calls report `priced: false`).
    public var unpricedCount: Int { entries.filter { !$0.pricing.isPriced }.count }
}

/// Reads a model catalogue: our own JSON format or LiteLLM's price map, detected from the content.
///
/// Prices are taken from the JSON number literals exactly (never through `Double`).
public enum CatalogImport {
    /// The format version written in our own files.
    public static let currentVersion = 1

    /// Parses `bytes` as our format when the top-level object has `"version"` and a `"models"`
    /// array, otherwise as LiteLLM's map of model key → entry.
    ///
    /// - Our format is strict: any invalid entry, unknown field or duplicate
    ///   (provider, model_name) throws, because it is a file someone wrote for us.
    /// - LiteLLM's file is a foreign catalogue of thousands of models: entries that do not fit
    ///   are skipped and listed in ``ImportResult/skipped`` (see ``LiteLLMImport``).
    /// - Parameter checkedOn: the date recorded on LiteLLM entries ("YYYY-MM-DD"); defaults to
    ///   today (UTC). Our format carries its own dates.
    public static func parse(_ bytes: [UInt8], checkedOn: String? = nil) throws -> ImportResult {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw CatalogImportError("the catalogue file is not valid JSON: \(error)")
        }
        guard let object = root.objectValue else {
            throw CatalogImportError("the catalogue file must be a JSON object, got \(root.typeName)")
        }
        if object["version"] != nil, object["models"]?.arrayValue != nil {
            return try OwnFormat.parse(object)
        }
        return LiteLLMImport.parse(object, checkedOn: checkedOn ?? todayUTC())
    }

    /// Today's date in UTC, "YYYY-MM-DD".
    static func todayUTC() -> String {
        isoDateString(fromDays: Int64((Date().timeIntervalSince1970 / 86_400).rounded(.down)))
    }
}
