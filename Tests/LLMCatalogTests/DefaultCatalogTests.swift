import Foundation
import LLMDomain
import Testing
@testable import LLMCatalog

@Suite struct DefaultCatalogTests {
    @Test func parsesAsOurFormat() throws {
        let result = try CatalogImport.parse(Array(DefaultCatalog.json.utf8))
        #expect(result.format == .llmrpc)
        #expect(result.skipped.isEmpty)
        #expect(result.entries == DefaultCatalog.entries)
    }

    @Test func providerAndModelNameAreUnique() {
        let keys = DefaultCatalog.entries.map { "\($0.provider.rawValue)/\($0.modelName)" }
        #expect(Set(keys).count == keys.count)
    }

    @Test func everyEntryIsPricedSourcedAndDated() {
        for e in DefaultCatalog.entries {
            #expect(e.pricing.isPriced, "\(e.modelName)")
            #expect(e.pricing.cachedInput != nil, "\(e.modelName)")
            #expect(!e.source.isEmpty, "\(e.modelName)")
            #expect(e.checkedOn == "2026-11-29", "\(e.modelName)")
            #expect(!e.displayName.isEmpty && e.supportsStreaming && e.supportsTools)
            if e.provider == .anthropic { #expect(e.pricing.cacheWrite != nil, "\(e.modelName)") }
        }
    }

    @Test func containsTheRequiredModels() {
        let names = Dictionary(grouping: DefaultCatalog.entries, by: \.provider).mapValues { Set($0.map(\.modelName)) }
        let required: [Provider: [String]] = [
            .anthropic: ["claude-sonnet-4-5", "claude-opus-5-5", "claude-haiku-4-5", "claude-sonnet-5-5", "claude-haiku-5-5", "claude-opus-4-8"],
            .openai: ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-5", "gpt-5-mini", "gpt-5-nano",
                      "o3", "o4-mini", "gpt-5.4", "gpt-5.5", "gpt-5.6-luna", "gpt-6-sol", "gpt-6.2-sol"],
            .google: ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-3.1-pro-preview", "gemini-3.5-flash", "gemini-3.8-flash"],
        ]
        for (provider, models) in required {
            for m in models { #expect(names[provider]?.contains(m) == true, "\(provider) \(m)") }
        }
    }

    /// Figures from PROVIDERS.md §5.
    @Test func pricesMatchTheProvidersDoc() throws {
        func e(_ p: Provider, _ m: String) throws -> CatalogEntry { try #require(DefaultCatalog.entry(provider: p, modelName: m)) }
        #expect(try e(.anthropic, "claude-sonnet-4-5").pricing
                == ModelPricing(input: price("3"), output: price("15"), cachedInput: price("0.3"), cacheWrite: price("3.75")))
        #expect(try e(.anthropic, "claude-haiku-5-5").pricing
                == ModelPricing(input: price("0.10"), output: price("0.50"), cachedInput: price("0.01"), cacheWrite: price("0.125")))
        #expect(try e(.anthropic, "claude-opus-5-5").pricing
                == ModelPricing(input: price("4"), output: price("20"), cachedInput: price("0.20"), cacheWrite: price("5")))
        #expect(try e(.openai, "gpt-4o").pricing == ModelPricing(input: price("2.50"), output: price("10"), cachedInput: price("1.25")))
        #expect(try e(.openai, "gpt-5-nano").pricing == ModelPricing(input: price("0.05"), output: price("0.40"), cachedInput: price("0.005")))
        #expect(try e(.openai, "gpt-6.2-sol").pricing
                == ModelPricing(input: price("2"), output: price("10"), cachedInput: price("0.10"), cacheWrite: price("2.50")))
        let pro = try e(.google, "gemini-2.5-pro")
        #expect(pro.pricing == ModelPricing(input: price("1.25"), output: price("10"), cachedInput: price("0.125")))
        #expect(pro.source.contains("base tier (prompt ≤200K)"))
        #expect(try e(.google, "gemini-3.8-flash").source.contains("then $1.50 in / $7.50 out"))
    }

    @Test func seedExampleWithTheDefaultSonnetPrice() throws {
        let sonnet = try #require(DefaultCatalog.entry(provider: .anthropic, modelName: "claude-sonnet-4-5"))
        let cost = CostCalculator.cost(usage: Usage(inputTokens: 1000, outputTokens: 500), pricing: sonnet.pricing)
        #expect(cost.totalCost?.usd == dec("0.0105"))
    }

    /// Context windows said to come from LiteLLM 1.108.7 do.
    @Test(.enabled(if: LiteLLMFixture.exists, Comment(rawValue: LiteLLMFixture.skipMessage)))
    func limitsMatchLiteLLM() throws {
        let lite = try LiteLLMFileTests.parsed.get().entries
        for e in DefaultCatalog.entries where e.source.contains("context window and max output from LiteLLM 1.108.7") {
            let l = try #require(lite.first { $0.provider == e.provider && $0.modelName == e.modelName }, "\(e.modelName)")
            #expect(e.contextWindow == l.contextWindow, "\(e.modelName)")
            #expect(e.maxOutputTokens == l.maxOutputTokens, "\(e.modelName)")
        }
    }
}
