import Foundation
import LLMDomain
import Testing
@testable import LLMCatalog

/// Imports the real LiteLLM 1.108.7 price map (4,256 entries) and checks it against a separate,
/// simpler reading of the same file with Foundation's JSONSerialization.
@Suite(.enabled(if: LiteLLMFixture.exists, Comment(rawValue: LiteLLMFixture.skipMessage)))
struct LiteLLMFileTests {
    /// Parsed once for the whole suite (3 MB).
    static let parsed = Result { try CatalogImport.parse(try LiteLLMFixture.bytes(), checkedOn: "2026-11-29") }
    let result: ImportResult

    init() throws {
        result = try Self.parsed.get()
    }

    func entry(_ provider: Provider, _ name: String) throws -> CatalogEntry {
        try #require(result.entries.first { $0.provider == provider && $0.modelName == name })
    }

    @Test func detectsTheFormat() {
        #expect(result.format == .litellm)
    }

    @Test func claudeSonnet45() throws {
        let e = try entry(.anthropic, "claude-sonnet-4-5")
        #expect(e.pricing == ModelPricing(input: price("3"), output: price("15"), cachedInput: price("0.3"), cacheWrite: price("3.75")))
        #expect(e.pricing.cacheWrite?.picodollarsPerToken == 3_750_000)
        #expect(e.contextWindow == 200_000)
        #expect(e.maxOutputTokens == 64_000)
        #expect(e.supportsTools)
        #expect(e.checkedOn == "2026-11-29")
    }

    @Test func geminiPrefixedEntryIsGoogleAndNotVertex() throws {
        let e = try entry(.google, "gemini-2.5-flash")
        #expect(e.pricing == ModelPricing(input: price("0.3"), output: price("2.5"), cachedInput: price("0.03"), cacheWrite: nil))
        #expect(e.contextWindow == 1_048_576)
        #expect(e.maxOutputTokens == 65_536)
        let pro = try entry(.google, "gemini-2.5-pro")
        #expect(pro.pricing.input == price("1.25"))
        #expect(pro.source.contains("base-tier prices (≤200K input)"))
        // The bare key is Vertex's entry: skipped, not imported as Google's.
        #expect(result.skipped.contains { $0.key == "gemini-2.5-pro" && $0.reason.hasPrefix("provider vertex_ai") })
    }

    @Test func scientificNotationIsConvertedExactly() throws {
        // "5e-09" per token = $0.005 per million = 5,000 picodollars per token.
        let nano = try entry(.openai, "gpt-5-nano")
        #expect(nano.pricing == ModelPricing(input: price("0.05"), output: price("0.4"), cachedInput: price("0.005")))
        #expect(nano.pricing.cachedInput?.picodollarsPerToken == 5_000)
        // "1.5625e-05" → $15.625 per million.
        #expect(try entry(.openai, "gpt-5.6-cyber").pricing.cacheWrite == price("15.625"))
        // "1.25e-07" → $0.125 per million.
        #expect(try entry(.anthropic, "claude-haiku-5-5").pricing.cacheWrite == price("0.125"))
    }

    @Test func countsPerProviderMatchAnIndependentScan() throws {
        let expected = try IndependentScan.counts()
        var actual: [Provider: Int] = [:]
        for e in result.entries { actual[e.provider, default: 0] += 1 }
        #expect(actual == expected)
        // Pinned for this snapshot of the file.
        #expect(actual == [.anthropic: 22, .openai: 97, .google: 40])
        #expect(result.unpricedCount == 0)
        #expect(result.entries.count + result.skipped.count == 4256)
    }

    @Test func unknownProvidersSampleSpecAndNonChatAreSkipped() throws {
        let reasons = Dictionary(result.skipped.map { ($0.key, $0.reason) }, uniquingKeysWith: { a, _ in a })
        #expect(reasons["sample_spec"] == "sample_spec documents LiteLLM's fields; not a model")
        #expect(reasons["openai/container"] == "openai/container is not a bare model id")
        #expect(reasons["gpt-5.5-pro"] == "mode responses is not chat")
        #expect(reasons["gemini-flash-latest"] == "duplicate of an earlier google entry for gemini-flash-latest")
        #expect(reasons["fallback_generalizations"] == "no litellm_provider")
        #expect(reasons.values.contains { $0.hasPrefix("provider bedrock") })
        #expect(reasons.values.contains { $0.hasPrefix("provider azure") })
        #expect(!result.entries.contains { $0.modelName.contains("/") || $0.modelName == "sample_spec" })
    }
}

/// A second, deliberately naive reading of the file: Foundation's parser, the same rules
/// written out directly (known provider, chat mode, gemini/ prefix, bare id, first wins).
enum IndependentScan {
    static func counts() throws -> [Provider: Int] {
        let data = try Data(contentsOf: URL(fileURLWithPath: LiteLLMFixture.path))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var seen: Set<String> = []
        var counts: [Provider: Int] = [:]
        for key in root.keys.sorted() {
            guard key != "sample_spec", let e = root[key] as? [String: Any],
                  e["mode"] as? String == "chat" else { continue }
            let provider: Provider
            switch e["litellm_provider"] as? String {
            case "anthropic": provider = .anthropic
            case "openai": provider = .openai
            case "gemini": provider = .google
            default: continue
            }
            var name = key
            if provider == .google, name.hasPrefix("gemini/") { name.removeFirst(7) }
            if name.contains("/") { continue }
            if seen.insert("\(provider)/\(name)").inserted { counts[provider, default: 0] += 1 }
        }
        return counts
    }
}
