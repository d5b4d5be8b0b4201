import Foundation
import LLMDomain
import Testing
@testable import LLMCatalog

@Suite struct OwnFormatImportTests {
    func parse(_ text: String) throws -> ImportResult { try CatalogImport.parse(Array(text.utf8)) }

    @Test func fullEntry() throws {
        let result = try parse("""
        {"version": 1, "models": [
          {"provider": "anthropic", "model_name": "claude-sonnet-4-5", "display_name": "Claude Sonnet 4.5",
           "input_price_per_million": 3, "output_price_per_million": 15,
           "cached_input_price_per_million": 0.3, "cache_write_price_per_million": 3.75,
           "context_window": 200000, "max_output_tokens": 64000,
           "supports_streaming": true, "supports_tools": false,
           "source": "https://example.test/pricing", "checked_on": "2026-11-29"}]}
        """)
        #expect(result.format == .llmrpc)
        #expect(result.skipped.isEmpty)
        #expect(result.entries == [CatalogEntry(
            provider: .anthropic, modelName: "claude-sonnet-4-5", displayName: "Claude Sonnet 4.5",
            pricing: ModelPricing(input: price("3"), output: price("15"), cachedInput: price("0.3"), cacheWrite: price("3.75")),
            contextWindow: 200_000, maxOutputTokens: 64_000, supportsStreaming: true, supportsTools: false,
            source: "https://example.test/pricing", checkedOn: "2026-11-29")])
    }

    @Test func minimalEntryGetsDefaultsAndMayBeUnpriced() throws {
        let result = try parse(#"{"version": 1, "models": [{"provider": "google", "model_name": "gemini-x", "input_price_per_million": null}]}"#)
        let entry = try #require(result.entries.first)
        #expect(entry == CatalogEntry(provider: .google, modelName: "gemini-x", displayName: "gemini-x", pricing: .unpriced,
                                      contextWindow: nil, maxOutputTokens: nil, supportsStreaming: true, supportsTools: true,
                                      source: "", checkedOn: ""))
        #expect(result.unpricedCount == 1)
    }

    @Test func pricesAreReadFromTheLiteralExactly() throws {
        let result = try parse(#"{"version": 1, "models": [{"provider": "openai", "model_name": "m", "input_price_per_million": 0.000001, "output_price_per_million": 1.5e1, "cached_input_price_per_million": 0.1}]}"#)
        let p = try #require(result.entries.first?.pricing)
        #expect(p.input?.picodollarsPerToken == 1)
        #expect(p.output?.picodollarsPerToken == 15_000_000)
        #expect(p.cachedInput?.picodollarsPerToken == 100_000)  // 0.1 exactly, no binary-float residue
    }

    @Test(arguments: [
        (#"{"version": 2, "models": []}"#, "unsupported catalogue version 2; this build reads version 1"),
        (#"{"version": 1, "models": [{"provider": "mistral", "model_name": "m"}]}"#,
         #"models[0].provider: expected one of anthropic, openai, google, got "mistral""#),
        (#"{"version": 1, "models": [{"provider": "openai"}]}"#, "models[0].model_name: required"),
        (#"{"version": 1, "models": [{"provider": "openai", "model_name": "m", "input_price_per_milion": 1}]}"#,
         #"models[0]: unknown field "input_price_per_milion""#),
        (#"{"version": 1, "models": [{"provider": "openai", "model_name": "m", "input_price_per_million": 0.0000001}]}"#,
         "models[0].input_price_per_million: expected a non-negative price in USD per million tokens with at most 6 decimals, got 0.0000001"),
        (#"{"version": 1, "models": [{"provider": "openai", "model_name": "m", "output_price_per_million": -1}]}"#,
         "models[0].output_price_per_million: expected a non-negative price in USD per million tokens with at most 6 decimals, got -1"),
        (#"{"version": 1, "models": [{"provider": "openai", "model_name": "m", "input_price_per_million": "3"}]}"#,
         #"models[0].input_price_per_million: expected a non-negative price in USD per million tokens with at most 6 decimals, got "3""#),
        (#"{"version": 1, "models": [{"provider": "openai", "model_name": "m", "context_window": 0}]}"#,
         "models[0].context_window: expected a positive integer, got 0"),
        (#"{"version": 1, "models": [{"provider": "openai", "model_name": "m", "supports_tools": "yes"}]}"#,
         "models[0].supports_tools: expected a boolean, got a string"),
        (#"{"version": 1, "models": [{"provider": "openai", "model_name": "m"}, {"provider": "openai", "model_name": "m"}]}"#,
         "models[1]: duplicate model openai/m"),
        (#"{"version": 1, "models": [3]}"#, "models[0]: expected an object, got a number"),
        ("[1, 2]", "the catalogue file must be a JSON object, got an array"),
    ])
    func invalidFilesAreRefusedWithAClearMessage(text: String, message: String) {
        #expect(throws: CatalogImportError(message)) { try parse(text) }
    }

    @Test func notJSONIsRefused() throws {
        let error = try #require(throws: CatalogImportError.self) { try parse("{nope") }
        #expect(error.message.hasPrefix("the catalogue file is not valid JSON: "))
    }
}

@Suite struct LiteLLMSnippetImportTests {
    let snippet = """
    {
      "sample_spec": {"input_cost_per_token": 0.0, "litellm_provider": "one of https://docs.litellm.ai/docs/providers", "mode": "one of: chat, embedding"},
      "claude-x": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5E-5, "cache_read_input_token_cost": 3.0e-7,
                   "cache_creation_input_token_cost": 0.00000375, "litellm_provider": "anthropic", "mode": "chat",
                   "max_input_tokens": 200000, "max_output_tokens": 64000, "max_tokens": 64000, "supports_function_calling": true},
      "gemini/gemini-y": {"input_cost_per_token": 1.25e-06, "input_cost_per_token_above_200k_tokens": 2.5e-06,
                          "output_cost_per_token": 1e-05, "litellm_provider": "gemini", "mode": "chat",
                          "source": "https://ai.google.dev/pricing", "supports_native_streaming": false},
      "gemini-y": {"input_cost_per_token": 9e-06, "output_cost_per_token": 9e-06, "litellm_provider": "vertex_ai-language-models", "mode": "chat"},
      "gpt-unpriced": {"litellm_provider": "openai", "mode": "chat"},
      "gpt-half": {"input_cost_per_token": 1e-06, "litellm_provider": "openai", "mode": "chat"},
      "gpt-embed": {"input_cost_per_token": 1e-07, "litellm_provider": "openai", "mode": "embedding"},
      "gpt-nomode": {"input_cost_per_token": 1e-07, "output_cost_per_token": 1e-07, "litellm_provider": "openai"},
      "gpt-tiny": {"input_cost_per_token": 1e-13, "output_cost_per_token": 1e-07, "litellm_provider": "openai", "mode": "chat"},
      "gpt-text": {"input_cost_per_token": "cheap", "output_cost_per_token": 1e-07, "litellm_provider": "openai", "mode": "chat"},
      "openai/container": {"litellm_provider": "openai", "mode": "chat"},
      "bedrock/claude": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05, "litellm_provider": "bedrock", "mode": "chat"},
      "orphan": {"input_cost_per_token": 3e-06},
      "gemini-dup": {"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06, "litellm_provider": "gemini", "mode": "chat"},
      "gemini/gemini-dup": {"input_cost_per_token": 2e-06, "output_cost_per_token": 2e-06, "litellm_provider": "gemini", "mode": "chat"},
      "weird": 42
    }
    """

    @Test func convertsAndSkipsByTheDocumentedRules() throws {
        let result = try CatalogImport.parse(Array(snippet.utf8), checkedOn: "2026-11-29")
        #expect(result.format == .litellm)
        #expect(result.entries.map(\.modelName) == ["claude-x", "gemini-y", "gpt-unpriced", "gpt-half", "gemini-dup"])

        let claude = result.entries[0]
        #expect(claude == CatalogEntry(
            provider: .anthropic, modelName: "claude-x", displayName: "claude-x",
            pricing: ModelPricing(input: price("3"), output: price("15"), cachedInput: price("0.3"), cacheWrite: price("3.75")),
            contextWindow: 200_000, maxOutputTokens: 64_000, supportsStreaming: true, supportsTools: true,
            source: "LiteLLM model_prices_and_context_window.json", checkedOn: "2026-11-29"))

        let gemini = result.entries[1]
        #expect(gemini.provider == .google)
        #expect(gemini.pricing == ModelPricing(input: price("1.25"), output: price("10")))
        #expect(!gemini.supportsStreaming)
        #expect(!gemini.supportsTools)
        #expect(gemini.source == "LiteLLM model_prices_and_context_window.json (source: https://ai.google.dev/pricing); base-tier prices (≤200K input), the higher tier is not modelled")

        #expect(result.entries[2].pricing == .unpriced)
        #expect(result.entries[3].pricing == ModelPricing(input: price("1")))
        #expect(result.unpricedCount == 2)
        #expect(result.entries[4].pricing.input == price("1"))  // first of the duplicates wins

        let skipped = Dictionary(uniqueKeysWithValues: result.skipped.map { ($0.key, $0.reason) })
        #expect(skipped == [
            "sample_spec": "sample_spec documents LiteLLM's fields; not a model",
            "gemini-y": "provider vertex_ai-language-models is not supported (only anthropic, openai, gemini)",
            "gpt-embed": "mode embedding is not chat",
            "gpt-nomode": "no mode; only chat models are imported",
            "gpt-tiny": "input_cost_per_token 1e-13 is negative or finer than a picodollar per token",
            "gpt-text": "input_cost_per_token is not a number",
            "openai/container": "openai/container is not a bare model id",
            "bedrock/claude": "provider bedrock is not supported (only anthropic, openai, gemini)",
            "orphan": "no litellm_provider",
            "gemini/gemini-dup": "duplicate of an earlier google entry for gemini-dup",
            "weird": "not an object",
        ])
        #expect(result.entries.count + result.skipped.count == 16)
    }

    @Test func checkedOnDefaultsToTodayUTC() throws {
        let result = try CatalogImport.parse(Array(snippet.utf8))
        let today = result.entries[0].checkedOn
        #expect(today == CatalogImport.todayUTC())
        #expect(today.count == 10 && today.split(separator: "-").count == 3)
    }
}
