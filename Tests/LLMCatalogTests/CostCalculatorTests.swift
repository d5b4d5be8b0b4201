import Foundation
import LLMDomain
import Testing
@testable import LLMCatalog

@Suite struct CostCalculatorTests {
    let sonnet = ModelPricing(input: price("3"), output: price("15"), cachedInput: price("0.3"), cacheWrite: price("3.75"))

    @Test func seedExampleIsExact() throws {
        let cost = CostCalculator.cost(usage: Usage(inputTokens: 1000, outputTokens: 500),
                                       pricing: ModelPricing(input: price("3"), output: price("15")))
        #expect(cost.priced)
        #expect(try #require(cost.inputCost).usd == dec("0.003"))
        #expect(try #require(cost.outputCost).usd == dec("0.0075"))
        #expect(try #require(cost.totalCost).usd == dec("0.0105"))
        #expect(cost.totalCost == Money(picodollars: 10_500_000_000))
    }

    @Test func cacheReadAndWriteUseTheirOwnPrices() throws {
        let usage = Usage(inputTokens: 1000, outputTokens: 500, cacheReadInputTokens: 2000, cacheCreationInputTokens: 4000)
        let cost = CostCalculator.cost(usage: usage, pricing: sonnet)
        // 1000×3 + 2000×0.3 + 4000×3.75 = 18600 per million.
        #expect(cost.inputCost?.usd == dec("0.0186"))
        #expect(cost.outputCost?.usd == dec("0.0075"))
        #expect(cost.totalCost?.usd == dec("0.0261"))
    }

    @Test func missingCacheRatesFallBackToTheInputPrice() {
        let usage = Usage(inputTokens: 100, outputTokens: 0, cacheReadInputTokens: 1000, cacheCreationInputTokens: 10_000)
        let cost = CostCalculator.cost(usage: usage, pricing: ModelPricing(input: price("2.5"), output: price("10")))
        // (100 + 1000 + 10000) × 2.5 = 27750 per million.
        #expect(cost.inputCost?.usd == dec("0.02775"))
        #expect(cost.outputCost == .zero)
        #expect(cost.totalCost?.usd == dec("0.02775"))

        let onlyCached = CostCalculator.cost(usage: usage, pricing: ModelPricing(input: price("2.5"), output: price("10"), cachedInput: price("1.25")))
        // 100×2.5 + 1000×1.25 + 10000×2.5 = 26500.
        #expect(onlyCached.inputCost?.usd == dec("0.0265"))
    }

    @Test func reasoningIsPartOfOutputAndNotChargedTwice() {
        let cost = CostCalculator.cost(usage: Usage(inputTokens: 0, outputTokens: 1000, reasoningTokens: 800), pricing: sonnet)
        #expect(cost.outputCost?.usd == dec("0.015"))
        #expect(cost.totalCost?.usd == dec("0.015"))
    }

    @Test func smallPricesStayExact() {
        // gpt-5-nano cached input: $0.005 per million = 5000 picodollars per token.
        let nano = ModelPricing(input: price("0.05"), output: price("0.4"), cachedInput: price("0.005"))
        let cost = CostCalculator.cost(usage: Usage(inputTokens: 1, outputTokens: 1, cacheReadInputTokens: 1), pricing: nano)
        #expect(cost.inputCost == Money(picodollars: 55_000))
        #expect(cost.outputCost == Money(picodollars: 400_000))
        #expect(cost.totalCost?.usd == dec("0.000000455"))
    }

    @Test func unpricedModelsGiveNilCostsNotZero() {
        let usage = Usage(inputTokens: 1000, outputTokens: 500)
        #expect(CostCalculator.cost(usage: usage, pricing: .unpriced) == .unpriced)
        #expect(CostCalculator.cost(usage: usage, pricing: ModelPricing(input: price("3"))) == .unpriced)
        #expect(CostCalculator.cost(usage: usage, pricing: ModelPricing(output: price("15"), cachedInput: price("0.3"))) == .unpriced)
        let c = CostCalculator.cost(usage: usage, pricing: .unpriced)
        #expect(!c.priced && c.inputCost == nil && c.outputCost == nil && c.totalCost == nil)
    }

    @Test func zeroUsageCostsZero() {
        let cost = CostCalculator.cost(usage: .zero, pricing: sonnet)
        #expect(cost == Cost(inputCost: .zero, outputCost: .zero, totalCost: .zero, priced: true))
    }

    @Test func hugeTokenCountsAreExactOrSaturate() {
        // A billion output tokens of Opus 4.1 ($75/M) is $75,000, exactly.
        let opus = ModelPricing(input: price("15"), output: price("75"))
        let big = CostCalculator.cost(usage: Usage(inputTokens: 2_000_000_000, outputTokens: 1_000_000_000), pricing: opus)
        #expect(big.inputCost?.usd == dec("30000"))
        #expect(big.outputCost?.usd == dec("75000"))
        #expect(big.totalCost?.usd == dec("105000"))

        // Beyond Money's range (~$9.2M): saturates instead of trapping.
        let absurd = CostCalculator.cost(usage: Usage(inputTokens: Int.max, outputTokens: Int.max / 2), pricing: opus)
        #expect(absurd.inputCost == Money(picodollars: Int64.max))
        #expect(absurd.outputCost == Money(picodollars: Int64.max))
        #expect(absurd.totalCost == Money(picodollars: Int64.max))
        #expect(absurd.priced)
    }

    @Test func negativeTokenCountsCountAsZero() {
        let cost = CostCalculator.cost(usage: Usage(inputTokens: -5, outputTokens: 10), pricing: sonnet)
        #expect(cost.inputCost == .zero)
        #expect(cost.outputCost == Money(picodollars: 150_000_000))
    }

    @Test func worstCaseUsesTheHighestInputSideRate() {
        // 1000 × max(3, 0.3, 3.75) + 4096 × 15 = 3750 + 61440 = 65190 per million.
        #expect(CostCalculator.worstCase(inputTokens: 1000, maxOutputTokens: 4096, pricing: sonnet)?.usd == dec("0.06519"))
        // Without cache rates: the input price.
        let gpt4o = ModelPricing(input: price("2.5"), output: price("10"), cachedInput: price("1.25"))
        #expect(CostCalculator.worstCase(inputTokens: 1000, maxOutputTokens: 1000, pricing: gpt4o)?.usd == dec("0.0125"))
        #expect(CostCalculator.worstCase(inputTokens: 1000, maxOutputTokens: 1000, pricing: .unpriced) == nil)
        #expect(CostCalculator.worstCase(inputTokens: Int.max, maxOutputTokens: 1, pricing: sonnet) == Money(picodollars: Int64.max))
    }

    @Test func worstCaseBoundsTheActualCost() {
        let usage = Usage(inputTokens: 100, outputTokens: 50, cacheReadInputTokens: 300, cacheCreationInputTokens: 600)
        let actual = CostCalculator.cost(usage: usage, pricing: sonnet).totalCost!
        let bound = CostCalculator.worstCase(inputTokens: 1000, maxOutputTokens: 50, pricing: sonnet)!
        #expect(actual <= bound)
    }
}
