import LLMDomain

/// A model's list prices in USD per million tokens, one per usage bucket.
///
/// `input` and `output` are required for a model to be priced. A nil `cachedInput` or
/// `cacheWrite` means "the provider publishes no separate rate": cost then charges those
/// tokens at the `input` price (see ``CostCalculator``).
public struct ModelPricing: Sendable, Equatable, Hashable {
    /// Uncached input tokens.
    public var input: PricePerMillion?
    /// Output tokens, reasoning included.
    public var output: PricePerMillion?
    /// Cache-read (cache hit) input tokens.
    public var cachedInput: PricePerMillion?
    /// Cache-creation (cache write) input tokens; Anthropic's 5-minute write rate.
    public var cacheWrite: PricePerMillion?

    public init(input: PricePerMillion? = nil, output: PricePerMillion? = nil,
                cachedInput: PricePerMillion? = nil, cacheWrite: PricePerMillion? = nil) {
        self.input = input
        self.output = output
        self.cachedInput = cachedInput
        self.cacheWrite = cacheWrite
    }

    /// No prices at all: costs are reported as unpriced, never as zero.
    public static let unpriced = ModelPricing()

    /// True when both the input and the output price are known.
    public var isPriced: Bool { input != nil && output != nil }
}
