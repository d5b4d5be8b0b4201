import FoundationEssentials
import LLMDomain

/// A model's four prices, as used for one request. nil = unpriced.
public struct ModelPrices: Sendable, Equatable {
    public var input: PricePerMillion?
    public var output: PricePerMillion?
    public var cachedInput: PricePerMillion?
    public var cacheWrite: PricePerMillion?

    public init(input: PricePerMillion?, output: PricePerMillion?, cachedInput: PricePerMillion? = nil,
                cacheWrite: PricePerMillion? = nil) {
        self.input = input
        self.output = output
        self.cachedInput = cachedInput
        self.cacheWrite = cacheWrite
    }

    public static let unpriced = ModelPrices(input: nil, output: nil)
}

/// A model of the catalogue to create or import.
public struct NewModel: Sendable, Equatable {
    public var provider: Provider
    /// The provider's own model name ("claude-sonnet-4-5").
    public var modelName: String
    public var displayName: String
    public var prices: ModelPrices
    public var contextWindow: Int?
    public var maxOutputTokens: Int?
    public var supportsStreaming: Bool
    public var supportsTools: Bool
    public var isActive: Bool
    /// Where the prices come from (a URL or "litellm"), and the day they were checked ("2026-11-28").
    public var source: String?
    public var checkedOn: String?

    /// `displayName` defaults to `modelName`.
    public init(provider: Provider, modelName: String, displayName: String? = nil, prices: ModelPrices,
                contextWindow: Int? = nil, maxOutputTokens: Int? = nil, supportsStreaming: Bool = true,
                supportsTools: Bool = true, isActive: Bool = true, source: String? = nil, checkedOn: String? = nil) {
        self.provider = provider
        self.modelName = modelName
        self.displayName = displayName ?? modelName
        self.prices = prices
        self.contextWindow = contextWindow
        self.maxOutputTokens = maxOutputTokens
        self.supportsStreaming = supportsStreaming
        self.supportsTools = supportsTools
        self.isActive = isActive
        self.source = source
        self.checkedOn = checkedOn
    }
}

/// Changes to a model: nil = keep. For the optional columns, `.some(nil)` sets NULL
/// (for a price: unpriced).
public struct ModelChanges: Sendable, Equatable {
    public var provider: Provider?
    public var modelName: String?
    public var displayName: String?
    public var inputPrice: PricePerMillion??
    public var outputPrice: PricePerMillion??
    public var cachedInputPrice: PricePerMillion??
    public var cacheWritePrice: PricePerMillion??
    public var contextWindow: Int??
    public var maxOutputTokens: Int??
    public var supportsStreaming: Bool?
    public var supportsTools: Bool?
    public var isActive: Bool?
    public var source: String??
    public var checkedOn: String??

    public init(provider: Provider? = nil, modelName: String? = nil, displayName: String? = nil,
                inputPrice: PricePerMillion?? = nil, outputPrice: PricePerMillion?? = nil,
                cachedInputPrice: PricePerMillion?? = nil, cacheWritePrice: PricePerMillion?? = nil,
                contextWindow: Int?? = nil, maxOutputTokens: Int?? = nil, supportsStreaming: Bool? = nil,
                supportsTools: Bool? = nil, isActive: Bool? = nil, source: String?? = nil, checkedOn: String?? = nil) {
        self.provider = provider
        self.modelName = modelName
        self.displayName = displayName
        self.inputPrice = inputPrice
        self.outputPrice = outputPrice
        self.cachedInputPrice = cachedInputPrice
        self.cacheWritePrice = cacheWritePrice
        self.contextWindow = contextWindow
        self.maxOutputTokens = maxOutputTokens
        self.supportsStreaming = supportsStreaming
        self.supportsTools = supportsTools
        self.isActive = isActive
        self.source = source
        self.checkedOn = checkedOn
    }
}

/// A row of `llm_models`.
public struct ModelRecord: Sendable, Equatable {
    public var id: String
    public var provider: Provider
    public var modelName: String
    public var displayName: String
    public var prices: ModelPrices
    public var contextWindow: Int?
    public var maxOutputTokens: Int?
    public var supportsStreaming: Bool
    public var supportsTools: Bool
    public var isActive: Bool
    public var source: String?
    public var checkedOn: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, provider: Provider, modelName: String, displayName: String, prices: ModelPrices,
                contextWindow: Int?, maxOutputTokens: Int?, supportsStreaming: Bool, supportsTools: Bool,
                isActive: Bool, source: String?, checkedOn: String?, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.provider = provider
        self.modelName = modelName
        self.displayName = displayName
        self.prices = prices
        self.contextWindow = contextWindow
        self.maxOutputTokens = maxOutputTokens
        self.supportsStreaming = supportsStreaming
        self.supportsTools = supportsTools
        self.isActive = isActive
        self.source = source
        self.checkedOn = checkedOn
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    init(row: Row) throws {
        id = row["id"]
        provider = try decodeProvider(row["provider"])
        modelName = row["model_name"]
        displayName = row["display_name"]
        prices = ModelPrices(row: row)
        contextWindow = row["context_window"]
        maxOutputTokens = row["max_output_tokens"]
        supportsStreaming = row["supports_streaming"]
        supportsTools = row["supports_tools"]
        isActive = row["is_active"]
        source = row["source"]
        checkedOn = row["checked_on"]
        createdAt = Timestamp.date(row["created_at"])
        updatedAt = Timestamp.date(row["updated_at"])
    }
}

extension ModelPrices {
    /// From the `*_price_pico` columns (same names in `llm_models` and `llm_usage_log`).
    init(row: Row) {
        func price(_ column: String) -> PricePerMillion? {
            (row[column] as Int64?).map(PricePerMillion.init(picodollarsPerToken:))
        }
        self.init(input: price("input_price_pico"), output: price("output_price_pico"),
                  cachedInput: price("cached_input_price_pico"), cacheWrite: price("cache_write_price_pico"))
    }

    /// The four column values, in the order input, output, cached input, cache write.
    var columnValues: [Int64?] {
        [input?.picodollarsPerToken, output?.picodollarsPerToken, cachedInput?.picodollarsPerToken,
         cacheWrite?.picodollarsPerToken]
    }
}
