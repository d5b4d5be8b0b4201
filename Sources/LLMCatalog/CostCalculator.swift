import LLMDomain

/// The cost of one call, per bucket, in exact money. All amounts are nil when `priced` is false.
public struct Cost: Sendable, Equatable {
    public var inputCost: Money?
    public var outputCost: Money?
    public var totalCost: Money?
    /// False when the model has no input or output price; the costs are then nil, never 0.
    public var priced: Bool

    public init(inputCost: Money?, outputCost: Money?, totalCost: Money?, priced: Bool) {
        self.inputCost = inputCost
        self.outputCost = outputCost
        self.totalCost = totalCost
        self.priced = priced
    }

    /// The cost of a call to a model without prices.
    public static let unpriced = Cost(inputCost: nil, outputCost: nil, totalCost: nil, priced: false)
}

/// Exact cost arithmetic (PROTOCOL.md §3.7), in integer picodollars.
public enum CostCalculator {
    /// The cost of `usage` at `pricing`:
    ///
    ///     input_cost  = input × input_price + cache_read × cached_input_price
    ///                 + cache_creation × cache_write_price
    ///     output_cost = output × output_price          (reasoning is part of output)
    ///     total_cost  = input_cost + output_cost
    ///
    /// - When the input or the output price is nil the result is ``Cost/unpriced``.
    /// - A nil `cachedInput` price falls back to the `input` price, and a nil `cacheWrite`
    ///   price falls back to the `input` price too: those tokens are billed as ordinary input,
    ///   never for free.
    /// - Negative token counts count as 0. An amount beyond `Money`'s range (about
    ///   9.2 million USD) saturates at the largest `Money` instead of trapping.
    public static func cost(usage: Usage, pricing: ModelPricing) -> Cost {
        guard let inputPrice = pricing.input, let outputPrice = pricing.output else { return .unpriced }
        let input = sum([
            product(usage.inputTokens, inputPrice),
            product(usage.cacheReadInputTokens, pricing.cachedInput ?? inputPrice),
            product(usage.cacheCreationInputTokens, pricing.cacheWrite ?? inputPrice),
        ])
        let output = product(usage.outputTokens, outputPrice)
        return Cost(inputCost: Money(picodollars: input), outputCost: Money(picodollars: output),
                    totalCost: Money(picodollars: sum([input, output])), priced: true)
    }

    /// The most a call can cost, for reserving budget before it runs: `inputTokens` at the
    /// highest of the input-side prices (input, cached input, cache write — a provider may bill
    /// any prompt token as a cache write) plus `maxOutputTokens` at the output price.
    /// nil when the model is unpriced. Saturates like ``cost(usage:pricing:)``.
    public static func worstCase(inputTokens: Int, maxOutputTokens: Int, pricing: ModelPricing) -> Money? {
        guard let inputPrice = pricing.input, let outputPrice = pricing.output else { return nil }
        let highestInput = [inputPrice, pricing.cachedInput, pricing.cacheWrite]
            .compactMap { $0 }
            .max { $0.picodollarsPerToken < $1.picodollarsPerToken } ?? inputPrice
        return Money(picodollars: sum([product(inputTokens, highestInput), product(maxOutputTokens, outputPrice)]))
    }

    /// tokens × price in picodollars, saturating at Int64.max.
    static func product(_ tokens: Int, _ price: PricePerMillion) -> Int64 {
        let n = Int64(max(tokens, 0))
        let (value, overflow) = n.multipliedReportingOverflow(by: max(price.picodollarsPerToken, 0))
        return overflow ? Int64.max : value
    }

    /// The sum of non-negative amounts, saturating at Int64.max.
    static func sum(_ amounts: [Int64]) -> Int64 {
        var total: Int64 = 0
        for a in amounts {
            let (value, overflow) = total.addingReportingOverflow(a)
            if overflow { return Int64.max }
            total = value
        }
        return total
    }
}
