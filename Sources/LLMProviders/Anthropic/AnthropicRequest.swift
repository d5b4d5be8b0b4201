import LLMDomain
import LLMJSON

/// Unified request → Anthropic Messages body.
enum AnthropicRequest {
    static let defaultMaxTokens = 4096

    static func body(_ r: ChatRequest, stream: Bool) throws -> JSONValue {
        guard !r.messages.isEmpty else { throw DomainError.invalidParams("messages", "must not be empty") }
        var system: [String] = []
        var turns: [(role: String, blocks: [JSONValue])] = []

        func append(_ role: String, _ blocks: [JSONValue]) {
            if let last = turns.last, last.role == role {
                turns[turns.count - 1].blocks += blocks
            } else {
                turns.append((role, blocks))
            }
        }

        for (i, m) in r.messages.enumerated() {
            switch m.role {
            case .system:
                if !m.content.isEmpty { system.append(m.content) }
            case .user:
                try requireNoToolCalls(m, i)
                append("user", m.content.isEmpty ? [] : [text(m.content)])
            case .assistant:
                var blocks: [JSONValue] = m.content.isEmpty ? [] : [text(m.content)]
                for (j, c) in m.toolCalls.enumerated() {
                    let input = try ProviderJSON.argumentsObject(c.arguments, field: "messages[\(i)].tool_calls[\(j)].function.arguments")
                    blocks.append(["type": "tool_use", "id": .string(ToolCallID.split(c.id).id), "name": .string(c.name), "input": input])
                }
                append("assistant", blocks)
            case .tool:
                guard let id = m.toolCallId, !id.isEmpty else {
                    throw DomainError.invalidParams("messages[\(i)].tool_call_id", "a tool message needs tool_call_id")
                }
                // A Gemini signature carried in the id stays out (Anthropic's ids are [A-Za-z0-9_-]).
                append("user", [["type": "tool_result", "tool_use_id": .string(ToolCallID.split(id).id), "content": .string(m.content)]])
            }
        }
        guard !turns.isEmpty else {
            throw DomainError.invalidParams("messages", "needs at least one user or assistant message")
        }

        var o = JSONObject()
        o["model"] = .string(r.model)
        o["max_tokens"] = .int(r.maxTokens ?? defaultMaxTokens)
        if !system.isEmpty { o["system"] = .string(system.joined(separator: "\n\n")) }
        o["messages"] = .array(turns.map { turn in
            // A lone text block is sent in the short string form.
            if turn.blocks.count == 1, turn.blocks[0]["type"] == "text", let t = turn.blocks[0]["text"] {
                return ["role": .string(turn.role), "content": t]
            }
            return ["role": .string(turn.role), "content": turn.blocks.isEmpty ? "" : .array(turn.blocks)]
        })
        if let stop = r.stop, !stop.isEmpty { o["stop_sequences"] = .array(stop.map { .string($0) }) }
        if let t = r.temperature { o["temperature"] = .double(t) }
        if let p = r.topP { o["top_p"] = .double(p) }
        if let tools = r.tools, !tools.isEmpty {
            o["tools"] = .array(tools.map { t in
                var d = JSONObject()
                d["name"] = .string(t.name)
                if let desc = t.description { d["description"] = .string(desc) }
                d["input_schema"] = t.parameters
                return .object(d)
            })
            if let choice = r.toolChoice { o["tool_choice"] = toolChoice(choice) }
        }
        if stream { o["stream"] = true }
        return .object(o)
    }

    static func toolChoice(_ c: ToolChoice) -> JSONValue {
        switch c {
        case .auto: return ["type": "auto"]
        case .none: return ["type": "none"]
        case .required: return ["type": "any"]
        case .function(let name): return ["type": "tool", "name": .string(name)]
        }
    }

    private static func text(_ s: String) -> JSONValue { ["type": "text", "text": .string(s)] }
}

/// Only assistant messages may carry tool calls.
func requireNoToolCalls(_ m: ChatMessage, _ i: Int) throws {
    if !m.toolCalls.isEmpty {
        throw DomainError.invalidParams("messages[\(i)].tool_calls", "only assistant messages may have tool_calls")
    }
}
