import JSONRPC
import LLMDomain
import LLMJSON

/// The params of `llm/chat/completions` and `.../stream` (PROTOCOL.md §3.7), validated.
struct ChatParams: RPCParams {
    enum ModelRef: Sendable { case id(String), name(String) }
    var model: ModelRef
    var messages: [ChatMessage]
    var conversationID: String?
    var maxTokens: Int?
    var temperature: Double?
    var topP: Double?
    var stop: [String]?
    var tools: [ToolDefinition]?
    var toolChoice: ToolChoice?

    init(_ p: JSONRPC.Params) throws {
        let id = try p.optionalString("model_id")
        let name = try p.optionalString("model")
        switch (id, name) {
        case (let i?, nil): model = .id(i.lowercased())
        case (nil, let n?): model = .name(n)
        case (nil, nil): throw RPCError.invalidParams(field: "model_id", "give 'model_id' or 'model'")
        case (_?, _?): throw RPCError.invalidParams(field: "model", "give only one of 'model_id' and 'model'")
        }
        let raw = try p.array("messages")
        if raw.isEmpty { throw RPCError.invalidParams(field: "messages", "'messages' must not be empty") }
        messages = try raw.enumerated().map { try Self.message($1, index: $0) }
        conversationID = try p.optionalString("conversation_id")?.lowercased()
        maxTokens = try p.optionalInt("max_tokens")
        if let m = maxTokens, m < 1 || m > 10_000_000 {
            throw RPCError.invalidParams(field: "max_tokens", "'max_tokens' must be a positive integer")
        }
        temperature = try p.optionalDouble("temperature")
        if let t = temperature, !(0...2).contains(t) {
            throw RPCError.invalidParams(field: "temperature", "'temperature' must be between 0 and 2")
        }
        topP = try p.optionalDouble("top_p")
        if let t = topP, !(0...1).contains(t) {
            throw RPCError.invalidParams(field: "top_p", "'top_p' must be between 0 and 1")
        }
        switch p.optionalValue("stop") {
        case nil: stop = nil
        case .string(let s)?: stop = [s]
        case .array(let a)?:
            stop = try a.map {
                guard let s = $0.stringValue else { throw RPCError.invalidParams(field: "stop", "'stop' must be a string or a list of strings") }
                return s
            }
        default: throw RPCError.invalidParams(field: "stop", "'stop' must be a string or a list of strings")
        }
        tools = try p.optionalArray("tools").map { try $0.enumerated().map { try Self.tool($1, index: $0) } }
        toolChoice = try Self.toolChoice(p.optionalValue("tool_choice"))
    }

    static func message(_ v: JSONValue, index i: Int) throws -> ChatMessage {
        let field = "messages[\(i)]"
        guard case .object(let o) = v else { throw RPCError.invalidParams(field: field, "'\(field)' must be an object") }
        guard let roleName = o["role"]?.stringValue else {
            throw RPCError.invalidParams(field: "\(field).role", "'\(field).role' must be a string")
        }
        guard let role = ChatMessage.Role(rawValue: roleName) else {
            throw RPCError.invalidParams(field: "\(field).role",
                                         "'\(field).role' must be system, user, assistant or tool, not '\(roleName)'")
        }
        var text = ""
        switch o["content"] {
        case .string(let s)?: text = s
        case .null?, nil: text = ""
        case .array(let parts)?:
            for (k, part) in parts.enumerated() {
                let pf = "\(field).content[\(k)]"
                guard case .object(let po) = part, let type = po["type"]?.stringValue else {
                    throw RPCError.invalidParams(field: pf, "'\(pf)' must be an object with a 'type'")
                }
                guard type == "text" else {
                    throw RPCError.invalidParams(field: "\(pf).type", "content type '\(type)' is not supported; only 'text' parts are")
                }
                guard let t = po["text"]?.stringValue else {
                    throw RPCError.invalidParams(field: "\(pf).text", "'\(pf).text' must be a string")
                }
                text += t
            }
        default:
            throw RPCError.invalidParams(field: "\(field).content", "'\(field).content' must be a string or a list of text parts")
        }
        var calls: [ToolCall] = []
        if let tc = o["tool_calls"], !tc.isNull {
            guard role == .assistant, let arr = tc.arrayValue else {
                throw RPCError.invalidParams(field: "\(field).tool_calls", "'tool_calls' is only for assistant messages, as a list")
            }
            for (k, c) in arr.enumerated() {
                let cf = "\(field).tool_calls[\(k)]"
                guard let id = c["id"]?.stringValue, let fn = c["function"], let name = fn["name"]?.stringValue else {
                    throw RPCError.invalidParams(field: cf, "'\(cf)' must have 'id' and 'function.name'")
                }
                let args: String
                switch fn["arguments"] {
                case .string(let s)?: args = s
                case nil, .null?: args = "{}"
                case let other?: args = JSONWriter.string(other)
                }
                calls.append(ToolCall(id: id, name: name, arguments: args))
            }
        }
        var toolCallID: String? = nil
        if role == .tool {
            guard let tid = o["tool_call_id"]?.stringValue, !tid.isEmpty else {
                throw RPCError.invalidParams(field: "\(field).tool_call_id", "a tool message needs 'tool_call_id'")
            }
            toolCallID = tid
        }
        if role == .user, text.isEmpty {
            throw RPCError.invalidParams(field: "\(field).content", "a user message needs content")
        }
        return ChatMessage(role: role, content: text, toolCalls: calls, toolCallId: toolCallID)
    }

    static func tool(_ v: JSONValue, index i: Int) throws -> ToolDefinition {
        let field = "tools[\(i)]"
        guard v["type"]?.stringValue == "function", let fn = v["function"], let name = fn["name"]?.stringValue,
              !name.isEmpty else {
            throw RPCError.invalidParams(field: field, "'\(field)' must be {\"type\": \"function\", \"function\": {\"name\", ...}}")
        }
        let params = fn["parameters"] ?? ["type": "object", "properties": [:]]
        guard case .object = params else {
            throw RPCError.invalidParams(field: "\(field).function.parameters", "'parameters' must be a JSON Schema object")
        }
        return ToolDefinition(name: name, description: fn["description"]?.stringValue, parameters: params)
    }

    static func toolChoice(_ v: JSONValue?) throws -> ToolChoice? {
        switch v {
        case nil: return nil
        case .string("auto")?: return .auto
        case .string("none")?: return ToolChoice.none
        case .string("required")?: return .required
        case let o? where o["type"]?.stringValue == "function":
            guard let n = o["function"]?["name"]?.stringValue else {
                throw RPCError.invalidParams(field: "tool_choice", "'tool_choice.function.name' is required")
            }
            return .function(n)
        default:
            throw RPCError.invalidParams(field: "tool_choice",
                                         "'tool_choice' must be auto, none, required or {\"type\": \"function\", ...}")
        }
    }
}
