import FakeProvider
import Foundation
import LLMJSON
import LLMTestSupport
import Testing

/// PROTOCOL.md §3.3–3.6 and §3.10: keys encrypted, masked everywhere, never leaked.
@Suite("Provider keys and the catalogue", .timeLimit(.minutes(5)))
struct KeyTests {
    static let canary = "sk-ant-CANARY-7f3a9c1e5b2d4f6a8c0e"

    @Test("a canary key appears nowhere: not in the database file, logs at trace level, or any response")
    func canary() async throws {
        let fake = try await FakeProviderServer.start(acceptedKeys: ["some-other-key"])
        let s = try ServerProcess(env: ["LLMRPC_LOG_LEVEL": "trace", "ANTHROPIC_BASE_URL": fake.anthropicBaseURL,
                                        "LLMRPC_RATE_LIMIT_RPM": "0"])
        _ = try await s.loginAdmin()
        _ = try await s.rpc.result("admin/llmModels/create", ["provider": "anthropic", "model_name": "claude-canary",
                                                              "input_price_per_million": 3, "output_price_per_million": 15])
        let status = try await s.rpc.result("users/me/apiKey/update", ["anthropic_api_key": .string(Self.canary)])
        #expect(status["anthropic"]?["has_user_key"] == true)
        #expect(status["anthropic"]?["masked_key"] == "sk-ant-...8c0e")
        #expect(status["anthropic"]?["active_source"] == "user")
        _ = try await s.rpc.result("admin/llmKeys/update", ["anthropic_api_key": .string(Self.canary + "-sys")])
        _ = try await s.rpc.result("users/me/apiKeyStatus")
        _ = try await s.rpc.result("admin/llmKeys/list")
        _ = try await s.rpc.result("llmModels/list")
        // The fake refuses the key and quotes it back in its error message; the error must not carry it.
        let refused = try await s.rpc.call("llm/chat/completions", ["model": "claude-canary", "messages": [["role": "user", "content": "hi"]]])
        #expect(refused["error"]?["data"]?["type"] == "upstream_auth_failed")
        _ = try await s.rpc.call("llm/chat/completions/stream", ["model": "claude-canary", "messages": [["role": "user", "content": "hi"]]])
        // The fake did receive the key: it was really used.
        #expect(fake.requests.contains { $0.headers.contains { $0.0 == "x-api-key" && $0.1 == Self.canary } })
        s.closeInput()
        #expect(await s.waitForExit() == 0)

        #expect(!s.rpc.lines.joined().contains("CANARY"))
        #expect(!s.stderrText.contains("CANARY"))
        #expect(s.stderrText.contains("trace") || s.stderrText.count > 0)
        for file in try FileManager.default.subpathsOfDirectory(atPath: s.dataDir) {
            let data = FileManager.default.contents(atPath: s.dataDir + "/" + file) ?? Data()
            #expect(data.range(of: Data("CANARY".utf8)) == nil, "the canary is in \(file)")
        }
        try await fake.shutdown()
    }

    @Test("PATCH semantics, validation, delete, and user B never sees user A's key")
    func patchAndIsolation() async throws {
        let s = try ServerProcess(env: ["GOOGLE_API_KEY": "AIzaSystemEnvKey0000000001"])
        _ = try await s.loginAdmin()
        _ = try await s.rpc.result("admin/users/create", ["email": "b@example.com", "password": "b-password"])
        var st = try await s.rpc.result("users/me/apiKey/update", ["openai_api_key": "sk-proj-aaaaaaaaaaaaaaaa1234"])
        #expect(st["openai"]?["masked_key"] == "sk-proj...1234")
        #expect(st["google"] == ["has_user_key": false, "masked_key": .null, "has_system_key": true, "active_source": "system"])
        #expect(st["anthropic"]?["active_source"] == .null)
        st = try await s.rpc.result("users/me/apiKey/update", ["anthropic_api_key": "sk-ant-bbbbbbbbbbbbbbbb5678"])
        #expect(st["openai"]?["has_user_key"] == true)
        st = try await s.rpc.result("users/me/apiKey/update", ["openai_api_key": .null])
        #expect(st["openai"]?["has_user_key"] == false)
        #expect(st["anthropic"]?["has_user_key"] == true)
        for bad: JSONValue in ["", "has space", "tab\tkey", .string(String(repeating: "k", count: 513)), 42] {
            let r = try await s.rpc.call("users/me/apiKey/update", ["anthropic_api_key": bad])
            #expect(r["error"]?["code"] == -32602)
            #expect(r["error"]?["data"]?["field"] == "anthropic_api_key")
        }
        let nothing = try await s.rpc.call("users/me/apiKey/update", [:])
        #expect(nothing["error"]?["code"] == -32602)
        let badProvider = try await s.rpc.call("users/me/apiKey/delete", ["provider": "azure"])
        #expect(badProvider["error"]?["data"]?["field"] == "provider")

        let b = try ServerProcess(env: ["GOOGLE_API_KEY": "AIzaSystemEnvKey0000000001"], dataDir: s.dataDir)
        try await b.rpc.login("b@example.com", "b-password")
        let bst = try await b.rpc.result("users/me/apiKeyStatus")
        #expect(bst["anthropic"]?["has_user_key"] == false)
        #expect(bst["anthropic"]?["active_source"] == .null)
        #expect(bst["google"]?["active_source"] == "system")
        // B sees only Google models (the system key), each marked as such.
        let models = try await b.rpc.result("llmModels/list")
        let providers = Set((models["data"]?.arrayValue ?? []).compactMap { $0["provider"]?.stringValue })
        #expect(providers == ["google"])
        #expect((models["data"]?.arrayValue ?? []).allSatisfy { $0["key_source"] == "system" })
        #expect(models["count"]?.intValue == models["data"]?.arrayValue?.count)
        let forbidden = try await b.rpc.call("llmModels/list", ["include_unavailable": true])
        #expect(forbidden["error"]?["code"] == 403)

        st = try await s.rpc.result("users/me/apiKey/delete", [:])
        #expect(st["anthropic"]?["has_user_key"] == false)
    }

    @Test("system keys: the database key wins over the .env key")
    func systemKeys() async throws {
        let s = try ServerProcess(env: ["OPENAI_API_KEY": "sk-proj-env-key-000000000042"])
        _ = try await s.loginAdmin()
        var l = try await s.rpc.result("admin/llmKeys/list")
        #expect(l["openai"] == ["has_env_key": true, "env_masked_key": "sk-proj...0042", "has_db_key": false,
                                "db_masked_key": .null, "active_source": "env"])
        l = try await s.rpc.result("admin/llmKeys/update", ["openai_api_key": "sk-proj-db-key-0000000000077"])
        #expect(l["openai"]?["active_source"] == "db")
        #expect(l["openai"]?["db_masked_key"] == "sk-proj...0077")
        l = try await s.rpc.result("admin/llmKeys/delete", ["provider": "openai"])
        #expect(l["openai"]?["active_source"] == "env")
    }

    @Test("the shipped catalogue is seeded; admin model methods validate and keep prices exact")
    func catalogue() async throws {
        let s = try ServerProcess(env: ["ANTHROPIC_API_KEY": "sk-ant-system-000000000001"])
        _ = try await s.loginAdmin()
        let list = try await s.rpc.result("llmModels/list", ["provider": "anthropic"])
        let sonnet = try #require(list["data"]?.arrayValue?.first { $0["model_name"] == "claude-sonnet-4-5" })
        #expect(sonnet["input_price_per_million"]?.decimal == 3)
        #expect(sonnet["output_price_per_million"]?.decimal == 15)
        #expect(sonnet["cached_input_price_per_million"]?.decimal == Decimal("0.3"))
        #expect(sonnet["cache_write_price_per_million"]?.decimal == Decimal("3.75"))
        #expect(sonnet["key_source"] == "system")

        let m = try await s.rpc.result("admin/llmModels/create", ["provider": "openai", "model_name": "my-model",
                                                                  "input_price_per_million": 0.075, "output_price_per_million": 0.3])
        #expect(m["input_price_per_million"]?.numberValue?.text == "0.075")
        let dup = try await s.rpc.call("admin/llmModels/create", ["provider": "openai", "model_name": "my-model",
                                                                  "input_price_per_million": 1, "output_price_per_million": 1])
        #expect(dup["error"]?["code"] == 409)
        for (field, value): (String, JSONValue) in [("input_price_per_million", -1), ("output_price_per_million", "cheap"),
                                                    ("input_price_per_million", 0.0000001)] {
            var p: JSONObject = ["provider": "openai", "model_name": "m2", "input_price_per_million": 1, "output_price_per_million": 1]
            p[field] = value
            let r = try await s.rpc.call("admin/llmModels/create", .object(p))
            #expect(r["error"]?["code"] == -32602)
            #expect(r["error"]?["data"]?["field"] == .string(field))
        }
        let up = try await s.rpc.result("admin/llmModels/update", ["id": m["id"]!, "output_price_per_million": .null])
        #expect(up["output_price_per_million"] == .null)
        #expect(up["priced"] == false)
        let del = try await s.rpc.result("admin/llmModels/delete", ["id": m["id"]!])
        #expect(del == ["id": m["id"]!, "deleted": true])
        let gone = try await s.rpc.call("admin/llmModels/delete", ["id": m["id"]!])
        #expect(gone["error"]?["code"] == 404)
    }
}
