import FakeProvider
import Foundation
import LLMJSON

/// A fake provider on loopback and an `llmrpc` subprocess pointed at it, with an admin
/// session and a user session ready to chat.
public final class ChatHarness: @unchecked Sendable {
    public let fake: FakeProviderServer
    public let server: ServerProcess
    /// The admin's session (stdio of `server`).
    public var admin: LineClient { server.rpc }
    public let modelIDs: [String: String]

    public static let anthropicKey = "sk-ant-api03-user-key-0001"
    public static let openAIKey = "sk-proj-user-key-0002"
    public static let googleKey = "AIzaSyUserKey0003abcdef"

    /// Starts everything; models `claude-test` ($3/$15, cache read $0.30, write $3.75),
    /// `gpt-test` ($2.50/$10, cached $1.25), `gemini-test` ($1.25/$10, cached $0.125), `free-test`
    /// (unpriced, anthropic). The admin stores their own key for each provider.
    public static func start(env: [String: String] = [:], acceptedKeys: Set<String>? = nil,
                      storeKeys: Bool = true, holdStderr: Bool = false) async throws -> ChatHarness {
        let fake = try await FakeProviderServer.start(acceptedKeys: acceptedKeys)
        var e = env
        e["ANTHROPIC_BASE_URL"] = fake.anthropicBaseURL
        e["OPENAI_BASE_URL"] = fake.openAIBaseURL
        e["GOOGLE_BASE_URL"] = fake.googleBaseURL
        if e["LLMRPC_RATE_LIMIT_RPM"] == nil { e["LLMRPC_RATE_LIMIT_RPM"] = "0" }
        let server = try ServerProcess(env: e, holdStderr: holdStderr)
        _ = try await server.loginAdmin()
        var ids: [String: String] = [:]
        let models: [JSONValue] = [
            ["provider": "anthropic", "model_name": "claude-test", "input_price_per_million": 3, "output_price_per_million": 15,
             "cached_input_price_per_million": 0.3, "cache_write_price_per_million": 3.75, "context_window": 200000,
             "max_output_tokens": 64000],
            ["provider": "openai", "model_name": "gpt-test", "input_price_per_million": 2.5, "output_price_per_million": 10,
             "cached_input_price_per_million": 1.25, "context_window": 128000, "max_output_tokens": 16384],
            ["provider": "google", "model_name": "gemini-test", "input_price_per_million": 1.25, "output_price_per_million": 10,
             "cached_input_price_per_million": 0.125, "context_window": 1048576, "max_output_tokens": 65536],
            ["provider": "anthropic", "model_name": "free-test", "input_price_per_million": .null,
             "output_price_per_million": .null, "context_window": 1000],
        ]
        for m in models {
            let r = try await server.rpc.result("admin/llmModels/create", m)
            ids[r["model_name"]!.stringValue!] = r["id"]!.stringValue!
        }
        if storeKeys {
            _ = try await server.rpc.result("users/me/apiKey/update", [
                "anthropic_api_key": .string(anthropicKey), "openai_api_key": .string(openAIKey),
                "google_api_key": .string(googleKey),
            ])
        }
        return ChatHarness(fake: fake, server: server, modelIDs: ids)
    }

    private init(fake: FakeProviderServer, server: ServerProcess, modelIDs: [String: String]) {
        self.fake = fake
        self.server = server
        self.modelIDs = modelIDs
    }

    public func chatParams(_ model: String, _ text: String = "Hello", extra: JSONObject = [:]) -> JSONValue {
        var o: JSONObject = ["model": .string(model), "messages": [["role": "user", "content": .string(text)]],
                             "max_tokens": 100]
        for (k, v) in extra { o[k] = v }
        return .object(o)
    }

    public func shutdown() async {
        server.closeInput()
        _ = await server.waitForExit()
        try? await fake.shutdown()
    }
}

extension Decimal {
    public init(_ s: String) { self = Decimal(string: s, locale: Locale(identifier: "en_US_POSIX"))! }
}

extension JSONValue {
    /// The exact decimal of a number value.
    public var decimal: Decimal? { numberValue?.decimalValue }
}
