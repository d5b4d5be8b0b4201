import Foundation
import LLMJSON
import LLMTestSupport
import Testing

/// The admin commands: master key rotation, catalogue import, and a wrong master key.
@Suite("Admin commands", .timeLimit(.minutes(5)))
struct AdminCLITests {
    @Test("keys rotate-master re-encrypts every stored key; the keys still work")
    func rotate() async throws {
        let s = try ServerProcess()
        _ = try await s.loginAdmin()
        _ = try await s.rpc.result("users/me/apiKey/update", ["anthropic_api_key": "sk-ant-rotate-me-00000001"])
        _ = try await s.rpc.result("admin/llmKeys/update", ["openai_api_key": "sk-proj-system-0000000002"])
        s.closeInput()
        _ = await s.waitForExit()
        let oldKey = try String(contentsOfFile: s.dataDir + "/encryption_key", encoding: .utf8)

        let rot = try ServerProcess(args: ["keys", "rotate-master"], dataDir: s.dataDir, stdinFile: "/dev/null")
        #expect(await rot.waitForExit() == 0)
        #expect(rot.rpc.lines.first?.hasPrefix("re-encrypted 2 stored key(s)") == true)
        let newKey = try String(contentsOfFile: s.dataDir + "/encryption_key", encoding: .utf8)
        #expect(newKey != oldKey)
        #expect(!FileManager.default.fileExists(atPath: s.dataDir + "/encryption_key.new"))

        let after = try ServerProcess(dataDir: s.dataDir)
        _ = try await after.loginAdmin()
        let st = try await after.rpc.result("users/me/apiKeyStatus")
        #expect(st["anthropic"]?["masked_key"] == "sk-ant-...0001")
        #expect(st["anthropic"]?["user_key_error"] == nil)
        let sys = try await after.rpc.result("admin/llmKeys/list")
        #expect(sys["openai"]?["db_masked_key"] == "sk-proj...0002")
    }

    @Test("a wrong master key gives a clear error naming the fix, never garbage upstream")
    func wrongMasterKey() async throws {
        let s = try ServerProcess(env: ["LLMRPC_ENCRYPTION_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="])
        _ = try await s.loginAdmin()
        _ = try await s.rpc.result("users/me/apiKey/update", ["anthropic_api_key": "sk-ant-locked-000000001"])
        s.closeInput()
        _ = await s.waitForExit()
        let wrong = try ServerProcess(env: ["LLMRPC_ENCRYPTION_KEY": "HxwdGhsYGRYXFBUSExAREA8ODQwLCgkIBwYFBAMCAQA="], dataDir: s.dataDir)
        _ = try await wrong.loginAdmin()
        let st = try await wrong.rpc.result("users/me/apiKeyStatus")
        #expect(st["anthropic"]?["has_user_key"] == true)
        #expect(st["anthropic"]?["masked_key"] == .null)
        #expect(st["anthropic"]?["user_key_error"]?.stringValue?.contains("LLMRPC_ENCRYPTION_KEY") == true)
        let chat = try await wrong.rpc.call("llm/chat/completions", ["model": "claude-sonnet-4-5", "messages": [["role": "user", "content": "hi"]]])
        #expect(chat["error"]?["data"]?["type"] == "crypto_error")
        #expect(chat["error"]?["message"]?.stringValue?.contains("set it again") == true)
        let bad = try ServerProcess(env: ["LLMRPC_ENCRYPTION_KEY": "not-base64!"], dataDir: s.dataDir, stdinFile: "/dev/null")
        #expect(await bad.waitForExit() != 0)
        #expect(bad.stderrText.contains("LLMRPC_ENCRYPTION_KEY must be 32 bytes"))
    }

    @Test("models import reads LiteLLM's price file with exact per-token conversion",
          .enabled(if: FileManager.default.fileExists(atPath: AdminCLITests.litellm), "../shared/data is not beside the checkout"))
    func importLiteLLM() async throws {
        let imp = try ServerProcess(args: ["models", "import", Self.litellm], stdinFile: "/dev/null")
        #expect(await imp.waitForExit() == 0)
        #expect(imp.rpc.lines.first?.hasPrefix("imported 159 model(s)") == true)
        let s = try ServerProcess(env: ["GOOGLE_API_KEY": "AIzaSystemKey000000000001"], dataDir: imp.dataDir)
        _ = try await s.loginAdmin()
        let models = try await s.rpc.result("llmModels/list", ["provider": "google"])
        let flash = try #require(models["data"]?.arrayValue?.first { $0["model_name"] == "gemini-2.5-flash" })
        #expect(flash["input_price_per_million"]?.numberValue?.decimalValue == Decimal(string: "0.3"))
        #expect(flash["output_price_per_million"]?.numberValue?.decimalValue == Decimal(string: "2.5"))
        let bad = try ServerProcess(args: ["models", "import", "/nonexistent.json"], stdinFile: "/dev/null")
        #expect(await bad.waitForExit() != 0)
    }

    static var litellm: String {
        ServerProcess.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/litellm-model-prices-1.108.7.json").path
    }
}
