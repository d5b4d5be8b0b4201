import LLMDomain

/// One model of a catalogue: the shipped default list, or an imported price file.
public struct CatalogEntry: Sendable, Equatable, Hashable {
    public var provider: Provider
    /// The provider's model id, as sent upstream ("claude-sonnet-4-5").
    public var modelName: String
    /// A human-readable name ("Claude Sonnet 4.5").
    public var displayName: String
    public var pricing: ModelPricing
    /// Input context window in tokens, when known.
    public var contextWindow: Int?
    /// Maximum output tokens per call, when known.
    public var maxOutputTokens: Int?
    public var supportsStreaming: Bool
    public var supportsTools: Bool
    /// Where the figures come from: a URL or a document name, with any caveat.
    public var source: String
    /// The date the figures were checked, "YYYY-MM-DD".
    public var checkedOn: String

    public init(provider: Provider, modelName: String, displayName: String, pricing: ModelPricing,
                contextWindow: Int? = nil, maxOutputTokens: Int? = nil, supportsStreaming: Bool = true,
                supportsTools: Bool = true, source: String, checkedOn: String) {
        self.provider = provider
        self.modelName = modelName
        self.displayName = displayName
        self.pricing = pricing
        self.contextWindow = contextWindow
        self.maxOutputTokens = maxOutputTokens
        self.supportsStreaming = supportsStreaming
        self.supportsTools = supportsTools
        self.source = source
        self.checkedOn = checkedOn
    }
}
