import LLMDomain
import LLMJSON

/// Unified request → OpenAI Chat Completions body. The unified format is OpenAI's, so this
/// is mostly a re-spelling; `max_tokens` is sent as `max_completion_tokens`.
enum OpenAIRequest {
    static func body(_ r: ChatRequest, stream: Bool) throws -> JSONValue {
        guard !r.messages.isEmpty else { throw DomainError.invalidParams("messages", "must not be empty") }
        var messages: [JSONValue] = []
        for (i, m) in r.messages.enumerated() {
            var o = JSONObject()
            o["role"] = .string(m.role.rawValue)
            switch m.role {
            case .system, .user:
                try requireNoToolCalls(m, i)
                o["content"] = .string(m.content)
            case .assistant:
                o["content"] = m.content.isEmpty && !m.toolCalls.isEmpty ? .null : .string(m.content)
                if !m.toolCalls.isEmpty {
                    o["tool_calls"] = .array(m.toolCalls.map { c in
                        ["id": .string(ToolCallID.split(c.id).id), "type": "function",
                         "function": ["name": .string(c.name), "arguments": .string(c.arguments)]]
                    })
                }
            case .tool:
                guard let id = m.toolCallId, !id.isEmpty else {
                    throw DomainError.invalidParams("messages[\(i)].tool_call_id", "a tool message needs tool_call_id")
                }
                o["tool_call_id"] = .string(ToolCallID.split(id).id)  // a Gemini signature stays out
                o["content"] = .string(m.content)
            }
            messages.append(.object(o))
        }

        var o = JSONObject()
        o["model"] = .string(r.model)
        o["messages"] = .array(messages)
        if let n = r.maxTokens { o["max_completion_tokens"] = .int(n) }
        if let t = r.temperature { o["temperature"] = .double(t) }
        if let p = r.topP { o["top_p"] = .double(p) }
        if let stop = r.stop, !stop.isEmpty { o["stop"] = .array(stop.map { .string($0) }) }
        if let tools = r.tools, !tools.isEmpty {
            o["tools"] = .array(tools.map { t in
                var f = JSONObject()
                f["name"] = .string(t.name)
                if let d = t.description { f["description"] = .string(d) }
                f["parameters"] = t.parameters
                return ["type": "function", "function": .object(f)]
            })
            if let choice = r.toolChoice { o["tool_choice"] = toolChoice(choice) }
        }
        if stream {
            o["stream"] = true
            o["stream_options"] = ["include_usage": true]
        }
        return .object(o)
    }

    static func toolChoice(_ c: ToolChoice) -> JSONValue {
        switch c {
        case .auto: return "auto"
        case .none: return "none"
        case .required: return "required"
        case .function(let name): return ["type": "function", "function": ["name": .string(name)]]
        }
    }
}
