// Writes the provider stream fixtures of Tests/LLMProvidersTests/Fixtures.swift (compiled in with
// this file) as seed inputs: `seed-corpus DIR` writes DIR/fuzz-sse-<provider>/fixture-<name>.
// Used by `scripts/fuzz --seed`; the JSON bodies and JSON-RPC lines are extracted by the script.
import Foundation

@main
enum SeedCorpus {
    static func main() throws {
        let dir = CommandLine.arguments[1]
        let streams: [(target: String, name: String, text: String)] = [
            ("anthropic", "basic", Fixtures.anthropicBasic),
            ("anthropic", "tool-use", Fixtures.anthropicToolUse),
            ("anthropic", "thinking-refusal", Fixtures.anthropicThinkingRefusal),
            ("anthropic", "error-event", Fixtures.anthropicErrorEvent),
            ("anthropic", "trailing-blank-line", Fixtures.anthropicTrailingBlankLine),
            ("openai", "plain", Fixtures.openAIPlain),
            ("openai", "tool-usage", Fixtures.openAIToolUsage),
            ("openai", "length", Fixtures.openAILength),
            ("gemini", "crlf", Fixtures.geminiCRLF),
        ]
        for s in streams {
            let d = "\(dir)/fuzz-sse-\(s.target)"
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            try Data(s.text.utf8).write(to: URL(fileURLWithPath: "\(d)/fixture-\(s.name)"))
        }
    }
}
