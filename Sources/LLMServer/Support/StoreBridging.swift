import LLMCatalog
import LLMDomain
import LLMStore

/// Conversions between the catalogue's and the store's types, in one place.
extension ModelRecord {
    var pricing: ModelPricing {
        ModelPricing(input: prices.input, output: prices.output, cachedInput: prices.cachedInput, cacheWrite: prices.cacheWrite)
    }
}

extension ModelPricing {
    var storePrices: ModelPrices { ModelPrices(input: input, output: output, cachedInput: cachedInput, cacheWrite: cacheWrite) }
}

extension NewModel {
    public init(entry e: CatalogEntry) {
        self.init(provider: e.provider, modelName: e.modelName, displayName: e.displayName, prices: e.pricing.storePrices,
                  contextWindow: e.contextWindow, maxOutputTokens: e.maxOutputTokens,
                  supportsStreaming: e.supportsStreaming, supportsTools: e.supportsTools, isActive: true,
                  source: e.source, checkedOn: e.checkedOn)
    }
}

extension Cost {
    /// The store's cost: nil when unpriced.
    var stored: UsageCost? {
        guard priced, let i = inputCost, let o = outputCost else { return nil }
        return UsageCost(input: i, output: o)
    }
}
