import FakeProvider
import Foundation
import LLMJSON
import LLMTestSupport
import Testing

/// PROTOCOL.md §3.7–3.8 end to end: an `llmrpc` subprocess, a fake provider on loopback
/// speaking each provider's real wire format, exact text, token buckets and cost.
@Suite("Chat", .timeLimit(.minutes(5)))
struct ChatTests {
    @Test("plain chat with each provider: text, usage, exact cost, the user's key sent upstream",
          arguments: [("claude-test", "0.000033", "0.00009", "0.000123"),
                      ("gpt-test", "0.0000275", "0.00006", "0.0000875"),
                      ("gemini-test", "0.00001375", "0.00006", "0.00007375")])
    func plain(model: String, inputCost: String, outputCost: String, total: String) async throws {
        let h = try await ChatHarness.start()
        let r = try await h.admin.result("llm/chat/completions", h.chatParams(model))
        #expect(r["message"]?["content"] == "Hello there!")
        #expect(r["message"]?["role"] == "assistant")
        #expect(r["finish_reason"] == "stop")
        #expect(r["usage"] == ["input_tokens": 11, "output_tokens": 6, "cache_read_input_tokens": 0,
                               "cache_creation_input_tokens": 0, "reasoning_tokens": 0, "total_tokens": 17])
        #expect(r["cost"]?["input_cost"]?.decimal == Decimal(inputCost))
        #expect(r["cost"]?["output_cost"]?.decimal == Decimal(outputCost))
        #expect(r["cost"]?["total_cost"]?.decimal == Decimal(total))
        #expect(r["cost"]?["currency"] == "USD")
        #expect(r["cost"]?["priced"] == true)
        #expect(r["key_source"] == "user")
        #expect(r["usage_estimated"] == false)
        #expect(r["model_id"] == .string(h.modelIDs[model]!))
        let req = try #require(h.fake.requests.last)
        switch model {
        case "claude-test":
            #expect(req.headers.first { $0.0 == "x-api-key" }?.1 == ChatHarness.anthropicKey)
            #expect(req.headers.first { $0.0 == "anthropic-version" }?.1 == "2023-06-01")
        case "gpt-test":
            #expect(req.headers.first { $0.0 == "authorization" }?.1 == "Bearer \(ChatHarness.openAIKey)")
        default:
            #expect(req.headers.first { $0.0 == "x-goog-api-key" }?.1 == ChatHarness.googleKey)
        }
        // The exchange is stored: a conversation with the user's and the assistant's message.
        let conv = try await h.admin.result("conversations/get", ["id": r["conversation_id"]!])
        #expect(conv["messages"]?.arrayValue?.map { $0["role"] } == ["user", "assistant"])
        #expect(conv["messages"]?.arrayValue?.last?["cost"]?.decimal == Decimal(total))
        #expect(conv["title"] == "Hello")
        let usage = try await h.admin.result("billing/usage/myUsage", ["days": 1])
        #expect(usage["total_requests"] == 1)
        #expect(usage["total_cost"]?.decimal == Decimal(total))
        await h.shutdown()
    }

    @Test("streaming with each provider: gap-free chunks before the response, concatenating to the message",
          arguments: ["claude-test", "gpt-test", "gemini-test"])
    func stream(model: String) async throws {
        let h = try await ChatHarness.start()
        let id = JSONValue.string("s-\(model)")
        let r = try await h.admin.call("llm/chat/completions/stream", h.chatParams(model), id: id)
        let result = try #require(r["result"])
        let chunks = h.admin.notifications(requestID: id)
        #expect(chunks.map { $0["params"]?["seq"] } == (0..<chunks.count).map { JSONValue.int($0) })
        #expect(chunks.map { $0["params"]?["delta"]?["content"]?.stringValue ?? "" } == ["Hello", " there", "!"])
        #expect(chunks.allSatisfy { $0["method"] == "llm/chat/completions/chunk" })
        // Every chunk was written before the response.
        let lines = h.admin.messages
        let responseIndex = lines.firstIndex { $0["id"] == id }!
        let lastChunk = lines.lastIndex { $0["params"]?["request_id"] == id }!
        #expect(lastChunk < responseIndex)
        #expect(result["message"]?["content"] == "Hello there!")
        #expect(result["usage"]?["input_tokens"] == 11)
        #expect(result["usage"]?["output_tokens"] == 6)
        #expect(result["usage_estimated"] == false)
        await h.shutdown()
    }

    @Test("stream chunks carry any text exactly: quotes, backslashes, control characters, non-ASCII; numeric and string ids",
          arguments: ["claude-test", "gpt-test", "gemini-test"])
    func streamTextIsExact(model: String) async throws {
        let h = try await ChatHarness.start()
        let pieces = ["say \"hi\"", " back\\slash", "\nnew\tline\r", "\u{01}\u{1F}\u{7F}", " é日本語😀", "</script>"]
        for id in [JSONValue.string("x\"y\\z\n"), JSONValue.number(JSONNumber(literal: "12345678901234567890"))] {
            h.fake.enqueue(.text(chunks: pieces, usage: FakeUsage(input: 3, output: 6)), for: model == "claude-test" ? .anthropic : model == "gpt-test" ? .openai : .google)
            let r = try await h.admin.call("llm/chat/completions/stream", h.chatParams(model), id: id)
            #expect(r["result"]?["message"]?["content"]?.stringValue == pieces.joined())
            let chunks = h.admin.notifications(requestID: id)
            #expect(chunks.map { $0["params"]?["delta"]?["content"]?.stringValue ?? "" } == pieces)
            #expect(chunks.map { $0["params"]?["seq"] } == (0..<pieces.count).map { JSONValue.int($0) })
            #expect(chunks.allSatisfy { $0["jsonrpc"] == "2.0" && $0["method"] == "llm/chat/completions/chunk" })
        }
        await h.shutdown()
    }

    @Test("cached and reasoning tokens are normalised per provider and priced per bucket")
    func cacheAndReasoning() async throws {
        let h = try await ChatHarness.start()
        h.fake.enqueue(.text(chunks: ["Hi"], usage: FakeUsage(input: 86, output: 50, cacheRead: 1920, cacheWrite: 0, reasoning: 10)),
                       for: .openai)
        let o = try await h.admin.result("llm/chat/completions/stream", h.chatParams("gpt-test"))
        #expect(o["usage"] == ["input_tokens": 86, "output_tokens": 50, "cache_read_input_tokens": 1920,
                               "cache_creation_input_tokens": 0, "reasoning_tokens": 10, "total_tokens": 2056])
        #expect(o["cost"]?["input_cost"]?.decimal == Decimal("0.002615"))
        #expect(o["cost"]?["total_cost"]?.decimal == Decimal("0.003115"))

        h.fake.enqueue(.text(chunks: ["Hi"], usage: FakeUsage(input: 100, output: 20, cacheRead: 1000, cacheWrite: 200, reasoning: 0)),
                       for: .anthropic)
        let a = try await h.admin.result("llm/chat/completions", h.chatParams("claude-test"))
        #expect(a["usage"]?["input_tokens"] == 100)
        #expect(a["usage"]?["cache_read_input_tokens"] == 1000)
        #expect(a["usage"]?["cache_creation_input_tokens"] == 200)
        #expect(a["cost"]?["input_cost"]?.decimal == Decimal("0.00135"))
        #expect(a["cost"]?["total_cost"]?.decimal == Decimal("0.00165"))

        h.fake.enqueue(.text(chunks: ["Hi"], usage: FakeUsage(input: 40, output: 30, cacheRead: 0, cacheWrite: 0, reasoning: 12)),
                       for: .google)
        let g = try await h.admin.result("llm/chat/completions/stream", h.chatParams("gemini-test"))
        #expect(g["usage"]?["output_tokens"] == 30)
        #expect(g["usage"]?["reasoning_tokens"] == 12)
        #expect(g["cost"]?["total_cost"]?.decimal == Decimal("0.00035"))
        await h.shutdown()
    }

    @Test("an unpriced model reports priced false and null costs, never 0")
    func unpriced() async throws {
        let h = try await ChatHarness.start()
        let r = try await h.admin.result("llm/chat/completions", h.chatParams("free-test"))
        #expect(r["cost"]?["priced"] == false)
        #expect(r["cost"]?["total_cost"] == .null)
        #expect(r["cost"]?["input_cost"] == .null)
        await h.shutdown()
    }

    @Test("cancelling a stream closes the upstream connection and bills what was used")
    func cancelStream() async throws {
        let h = try await ChatHarness.start()
        // The stream stops after its first chunk until the gate opens (never, here).
        h.fake.enqueue(.held(chunks: ["one", " two", " three", " four", " five"],
                             usage: FakeUsage(input: 11, output: 40, cacheRead: 0, cacheWrite: 0, reasoning: 0),
                             gate: FakeGate(), afterChunks: 1), for: .anthropic)
        let id = JSONValue.string("to-cancel")
        h.admin.send(["jsonrpc": "2.0", "id": id, "method": "llm/chat/completions/stream", "params": h.chatParams("claude-test")])
        _ = try await h.admin.waitFor { $0["params"]?["request_id"] == id }
        h.admin.send(["jsonrpc": "2.0", "method": "$/cancelRequest", "params": ["id": id]])
        let r = try await h.admin.response(id: id)
        let result = try #require(r["result"])
        #expect(result["finish_reason"] == "cancelled")
        #expect(result["message"]?["content"] == "one")
        #expect(result["usage"]?["input_tokens"] == 11)
        #expect((result["usage"]?["output_tokens"]?.intValue ?? 0) >= 1)
        #expect(result["usage_estimated"] == true)
        await h.fake.waitForClientDisconnect(requestIndex: h.fake.requests.count - 1)
        let usage = try await h.admin.result("billing/usage/myUsage", ["days": 1])
        #expect(usage["total_requests"] == 1)
        #expect(usage["total_input_tokens"] == 11)
        // Cancelling an unknown or finished id does nothing.
        h.admin.send(["jsonrpc": "2.0", "method": "$/cancelRequest", "params": ["id": id]])
        #expect(try await h.admin.result("server/health")["status"] == "ok")
        await h.shutdown()
    }

    @Test("a cancelled plain request answers -32800 and is recorded")
    func cancelPlain() async throws {
        let h = try await ChatHarness.start()
        h.fake.enqueue(.hang, for: .openai)
        let id = JSONValue.int(77)
        h.admin.send(["jsonrpc": "2.0", "id": id, "method": "llm/chat/completions", "params": h.chatParams("gpt-test")])
        await h.fake.waitForRequests(count: 1)
        h.admin.send(["jsonrpc": "2.0", "method": "notifications/cancelled", "params": ["requestId": id]])
        let r = try await h.admin.response(id: id)
        #expect(r["error"]?["code"] == -32800)
        #expect(r["error"]?["data"]?["type"] == "cancelled")
        await h.fake.waitForClientDisconnect(requestIndex: 0)
        let usage = try await h.admin.result("billing/usage/myUsage", ["days": 1])
        #expect(usage["total_requests"] == 1)
        await h.shutdown()
    }

    @Test("end of input cancels running streams, still records their usage, and exits 0")
    func eofCancelsStreams() async throws {
        let h = try await ChatHarness.start()
        h.fake.enqueue(.held(chunks: ["a", "b", "c", "d"], usage: FakeUsage(input: 11, output: 9, cacheRead: 0, cacheWrite: 0, reasoning: 0),
                             gate: FakeGate(), afterChunks: 1), for: .anthropic)
        let id = JSONValue.string("eof")
        h.admin.send(["jsonrpc": "2.0", "id": id, "method": "llm/chat/completions/stream", "params": h.chatParams("claude-test")])
        _ = try await h.admin.waitFor { $0["params"]?["request_id"] == id }
        h.server.closeInput()
        let r = try await h.admin.response(id: id)
        #expect(r["result"]?["finish_reason"] == "cancelled")
        #expect(await h.server.waitForExit() == 0)
        let again = try ServerProcess(dataDir: h.server.dataDir)
        _ = try await again.loginAdmin()
        let usage = try await again.rpc.result("billing/usage/myUsage", ["days": 1])
        #expect(usage["total_requests"] == 1)
        #expect(usage["total_input_tokens"] == 11)
        try await h.fake.shutdown()
    }

    @Test("key selection: the user's key, else the system key, else 400 missing_api_key")
    func keySelection() async throws {
        let h = try await ChatHarness.start(env: ["OPENAI_API_KEY": "sk-proj-system-env-key-9999"], storeKeys: false)
        let none = try await h.admin.call("llm/chat/completions", h.chatParams("claude-test"))
        #expect(none["error"]?["code"] == 400)
        #expect(none["error"]?["data"]?["type"] == "missing_api_key")
        let sys = try await h.admin.result("llm/chat/completions", h.chatParams("gpt-test"))
        #expect(sys["key_source"] == "system")
        #expect(h.fake.requests.last?.headers.first { $0.0 == "authorization" }?.1 == "Bearer sk-proj-system-env-key-9999")
        _ = try await h.admin.result("users/me/apiKey/update", ["openai_api_key": "sk-proj-mine-0000000001"])
        let mine = try await h.admin.result("llm/chat/completions", h.chatParams("gpt-test"))
        #expect(mine["key_source"] == "user")
        #expect(h.fake.requests.last?.headers.first { $0.0 == "authorization" }?.1 == "Bearer sk-proj-mine-0000000001")
        await h.shutdown()
    }

    @Test("changes made by another process (model, price, keys, the user) apply to the very next chat")
    func settingsChangedElsewhere() async throws {
        let h = try await ChatHarness.start()
        let gpt = JSONValue.string(h.modelIDs["gpt-test"]!)
        let first = try await h.admin.result("llm/chat/completions", h.chatParams("gpt-test"))
        #expect(first["key_source"] == "user")  // model and key are now in the server's memory
        // Another llmrpc process on the same database.
        let other = try ServerProcess(dataDir: h.server.dataDir)
        _ = try await other.loginAdmin()

        _ = try await other.rpc.result("admin/llmModels/update", ["id": gpt, "is_active": false])
        let inactive = try await h.admin.call("llm/chat/completions", h.chatParams("gpt-test"))
        #expect(inactive["error"]?["data"]?["type"] == "model_inactive")

        _ = try await other.rpc.result("admin/llmModels/update", ["id": gpt, "is_active": true, "input_price_per_million": 100])
        let repriced = try await h.admin.result("llm/chat/completions", h.chatParams("gpt-test"))
        // 11 input tokens at $100/M, 6 output at $10/M.
        #expect(repriced["cost"]?["total_cost"]?.decimal == Decimal("0.00116"))

        _ = try await other.rpc.result("users/me/apiKey/update", ["openai_api_key": .null])
        let noKey = try await h.admin.call("llm/chat/completions", h.chatParams("gpt-test"))
        #expect(noKey["error"]?["data"]?["type"] == "missing_api_key")
        _ = try await other.rpc.result("users/me/apiKey/update", ["openai_api_key": "sk-proj-back-0000000002"])
        let back = try await h.admin.result("llm/chat/completions", h.chatParams("gpt-test"))
        #expect(back["key_source"] == "user")
        #expect(h.fake.requests.last?.headers.first { $0.0 == "authorization" }?.1 == "Bearer sk-proj-back-0000000002")

        // A user deactivated elsewhere is refused on their live session, chat included.
        let bob = try await other.rpc.result("admin/users/create", ["email": "bob@example.com", "password": "bob-password"])
        try await h.server.rpc.login("bob@example.com", "bob-password")
        _ = try await h.admin.result("users/me/apiKey/update", ["openai_api_key": "sk-proj-bob-0000000003"])
        #expect(try await h.admin.result("llm/chat/completions", h.chatParams("gpt-test"))["key_source"] == "user")
        _ = try await other.rpc.result("admin/users/update", ["id": bob["id"]!, "is_active": false])
        let refused = try await h.admin.call("llm/chat/completions", h.chatParams("gpt-test"))
        #expect(refused["error"]?["data"]?["type"] == "inactive_user")
        _ = try await other.rpc.result("admin/users/update", ["id": bob["id"]!, "is_active": true])
        #expect(try await h.admin.result("llm/chat/completions", h.chatParams("gpt-test"))["key_source"] == "user")
        other.closeInput()
        _ = await other.waitForExit()
        await h.shutdown()
    }

    @Test("bad model references and bad messages")
    func badRequests() async throws {
        let h = try await ChatHarness.start()
        let unknown = try await h.admin.call("llm/chat/completions", h.chatParams("no-such-model"))
        #expect(unknown["error"]?["code"] == 404)
        #expect(unknown["error"]?["data"]?["type"] == "model_not_found")
        _ = try await h.admin.result("admin/llmModels/update", ["id": .string(h.modelIDs["gpt-test"]!), "is_active": false])
        let inactive = try await h.admin.call("llm/chat/completions", h.chatParams("gpt-test"))
        #expect(inactive["error"]?["code"] == 400)
        #expect(inactive["error"]?["data"]?["type"] == "model_inactive")
        let empty = try await h.admin.call("llm/chat/completions", ["model": "claude-test", "messages": []])
        #expect(empty["error"]?["data"]?["field"] == "messages")
        let role = try await h.admin.call("llm/chat/completions", ["model": "claude-test", "messages": [["role": "wizard", "content": "x"]]])
        #expect(role["error"]?["data"]?["field"] == "messages[0].role")
        let image = try await h.admin.call("llm/chat/completions", ["model": "claude-test",
                                                                    "messages": [["role": "user", "content": [["type": "image_url", "image_url": "x"]]]]])
        #expect(image["error"]?["data"]?["field"] == "messages[0].content[0].type")
        let both = try await h.admin.call("llm/chat/completions", ["model": "claude-test", "model_id": "x", "messages": [["role": "user", "content": "x"]]])
        #expect(both["error"]?["code"] == -32602)
        let long = try await h.admin.call("llm/chat/completions", h.chatParams("free-test", String(repeating: "word ", count: 2000)))
        #expect(long["error"]?["code"] == 400)
        #expect(long["error"]?["data"]?["type"] == "context_window_exceeded")
        #expect(h.fake.requests.isEmpty)
        await h.shutdown()
    }

    @Test("tool calls come back in OpenAI's shape for every provider", arguments: ["claude-test", "gpt-test", "gemini-test"])
    func toolCalls(model: String) async throws {
        let h = try await ChatHarness.start()
        let kind: FakeProviderKind = model == "claude-test" ? .anthropic : model == "gpt-test" ? .openai : .google
        h.fake.enqueue(.toolCall(id: kind == .google ? nil : "call_abc", name: "get_weather",
                                 argumentsChunks: ["{\"location\":", " \"Paris\"}"], text: nil,
                                 usage: FakeUsage(input: 50, output: 20, cacheRead: 0, cacheWrite: 0, reasoning: 0)), for: kind)
        let tools: JSONValue = [["type": "function", "function": ["name": "get_weather", "description": "Weather",
                                                                   "parameters": ["type": "object", "properties": ["location": ["type": "string"]]]]]]
        let r = try await h.admin.result("llm/chat/completions/stream", h.chatParams(model, "Weather in Paris?", extra: ["tools": tools]))
        #expect(r["finish_reason"] == "tool_calls")
        let call = try #require(r["message"]?["tool_calls"]?.arrayValue?.first)
        #expect(call["type"] == "function")
        #expect(call["function"]?["name"] == "get_weather")
        let args = try JSONParser.parse(call["function"]!["arguments"]!.stringValue!)
        #expect(args == ["location": "Paris"])
        if kind != .google { #expect(call["id"] == "call_abc") } else { #expect(call["id"]?.stringValue?.isEmpty == false) }
        await h.shutdown()
    }

    @Test("a Gemini call's thought signature goes back to Gemini from a stored conversation, and not to the others")
    func thoughtSignatures() async throws {
        let h = try await ChatHarness.start()
        let signature = "CiQBcsjafA5+ZnR0/sig=="
        h.fake.enqueue(.toolCall(id: nil, name: "get_weather", argumentsChunks: [#"{"location": "Paris"}"#],
                                 usage: FakeUsage(input: 50, output: 20), thoughtSignature: signature), for: .google)
        let tools: JSONValue = [["type": "function", "function": ["name": "get_weather", "parameters": ["type": "object"]]]]
        let first = try await h.admin.result("llm/chat/completions/stream", h.chatParams("gemini-test", "Weather in Paris?", extra: ["tools": tools]))
        let id = try #require(first["message"]?["tool_calls"]?.arrayValue?.first?["id"]?.stringValue)
        #expect(id.hasPrefix("call_") && id.hasSuffix("__thought__" + signature))
        let plainId = String(id.prefix(29))

        // The conversation continues from the database: the call goes back with its signature.
        h.fake.enqueue(.text(chunks: ["18C in Paris"], usage: FakeUsage(input: 60, output: 5)), for: .google)
        _ = try await h.admin.result("llm/chat/completions", [
            "model": "gemini-test", "conversation_id": first["conversation_id"]!, "tools": tools, "max_tokens": 100,
            "messages": [["role": "tool", "tool_call_id": .string(id), "content": "18C"]],
        ])
        let contents = try #require(JSONParser.parse(h.fake.requests.last!.body)["contents"]?.arrayValue)
        #expect(contents.count == 3)
        #expect(contents[1] == ["role": "model", "parts": [
            ["functionCall": ["name": "get_weather", "args": ["location": "Paris"]], "thoughtSignature": .string(signature)],
        ]])
        #expect(contents[2]["parts"]?.arrayValue?.first?["functionResponse"]?["name"] == "get_weather")

        // The same history from a client, to OpenAI and to Anthropic: the id without the signature.
        let history: JSONValue = [
            ["role": "user", "content": "Weather in Paris?"],
            ["role": "assistant", "content": "", "tool_calls": [
                ["id": .string(id), "type": "function", "function": ["name": "get_weather", "arguments": #"{"location": "Paris"}"#]],
            ]],
            ["role": "tool", "tool_call_id": .string(id), "content": "18C"],
        ]
        for (model, kind) in [("gpt-test", FakeProviderKind.openai), ("claude-test", .anthropic)] {
            h.fake.enqueue(.text(chunks: ["ok"], usage: FakeUsage(input: 5, output: 1)), for: kind)
            _ = try await h.admin.result("llm/chat/completions", ["model": .string(model), "messages": history,
                                                                  "tools": tools, "max_tokens": 100])
            let sent = h.fake.requests.last!.bodyString
            #expect(sent.components(separatedBy: plainId).count == 3, "\(model): the call's id and the result's")
            #expect(!sent.contains("__thought__") && !sent.contains(signature), "\(model)")
        }
        await h.shutdown()
    }
}
