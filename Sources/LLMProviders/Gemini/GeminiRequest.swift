import LLMDomain
import LLMJSON

/// Unified request → Gemini `generateContent` body (camelCase, roles `user` and `model`).
enum GeminiRequest {
    static func body(_ r: ChatRequest) throws -> JSONValue {
        guard !r.messages.isEmpty else { throw DomainError.invalidParams("messages", "must not be empty") }
        let signsCalls = requiresSignedCalls(model: r.model)
        var system: [String] = []
        var contents: [(role: String, parts: [JSONValue])] = []
        var toolNames: [String: String] = [:]  // tool call id (without a signature) → function name

        func append(_ role: String, _ parts: [JSONValue]) {
            if let last = contents.last, last.role == role {
                contents[contents.count - 1].parts += parts
            } else {
                contents.append((role, parts))
            }
        }

        for (i, m) in r.messages.enumerated() {
            switch m.role {
            case .system:
                if !m.content.isEmpty { system.append(m.content) }
            case .user:
                try requireNoToolCalls(m, i)
                append("user", m.content.isEmpty ? [] : [["text": .string(m.content)]])
            case .assistant:
                var parts: [JSONValue] = m.content.isEmpty ? [] : [["text": .string(m.content)]]
                // A step Gemini made keeps its own signatures (on its first call); a step from
                // elsewhere gets the placeholder there, as Gemini would have signed it.
                let ids = m.toolCalls.map { ToolCallID.split($0.id) }
                let foreignStep = signsCalls && !ids.contains { $0.signature != nil }
                for (j, (c, id)) in zip(m.toolCalls, ids).enumerated() {
                    let args = try ProviderJSON.argumentsObject(c.arguments, field: "messages[\(i)].tool_calls[\(j)].function.arguments")
                    var part: JSONObject = ["functionCall": ["name": .string(c.name), "args": args]]
                    if let signature = id.signature ?? (foreignStep && j == 0 ? skipSignature : nil) {
                        part["thoughtSignature"] = .string(signature)
                    }
                    parts.append(.object(part))
                    toolNames[id.id] = c.name
                }
                append("model", parts)
            case .tool:
                guard let id = m.toolCallId, !id.isEmpty else {
                    throw DomainError.invalidParams("messages[\(i)].tool_call_id", "a tool message needs tool_call_id")
                }
                // A client may echo the id with or without the signature it carries.
                guard let name = toolNames[ToolCallID.split(id).id] else {
                    throw DomainError.invalidParams("messages[\(i)].tool_call_id", "no earlier assistant tool call has this id")
                }
                let result = (try? JSONParser.parse(m.content)) ?? .string(m.content)
                append("user", [["functionResponse": ["name": .string(name), "response": ["result": result]]]])
            }
        }
        guard !contents.isEmpty else {
            throw DomainError.invalidParams("messages", "needs at least one user or assistant message")
        }

        var o = JSONObject()
        o["contents"] = .array(contents.map { c in
            ["role": .string(c.role), "parts": .array(c.parts.isEmpty ? [["text": ""]] : c.parts)]
        })
        if !system.isEmpty { o["systemInstruction"] = ["parts": [["text": .string(system.joined(separator: "\n\n"))]]] }
        var g = JSONObject()
        if let n = r.maxTokens { g["maxOutputTokens"] = .int(n) }
        if let t = r.temperature { g["temperature"] = .double(t) }
        if let p = r.topP { g["topP"] = .double(p) }
        if let stop = r.stop, !stop.isEmpty { g["stopSequences"] = .array(stop.map { .string($0) }) }
        if !g.isEmpty { o["generationConfig"] = .object(g) }
        if let tools = r.tools, !tools.isEmpty {
            o["tools"] = [["functionDeclarations": .array(tools.map { t in
                var d = JSONObject()
                d["name"] = .string(t.name)
                if let desc = t.description { d["description"] = .string(desc) }
                d["parameters"] = t.parameters
                return .object(d)
            })]]
            if let choice = r.toolChoice { o["toolConfig"] = ["functionCallingConfig": functionCallingConfig(choice)] }
        }
        return .object(o)
    }

    /// The model's name without the `models/` prefix Google's own names carry.
    static func modelName(_ model: String) -> Substring {
        let name = Substring(model)
        return name.hasPrefix("models/") ? name.dropFirst("models/".count) : name
    }

    /// What Google documents for a function call that has no signature of Gemini's (a history
    /// from another model or a call the client made up): Gemini 3 then skips the check it would
    /// otherwise fail the request with.
    static let skipSignature = "skip_thought_signature_validator"

    /// Gemini 3 and later refuse a function call in the history without a thought signature;
    /// earlier models take the call as it is (and are not sent the placeholder).
    static func requiresSignedCalls(model: String) -> Bool {
        let name = modelName(model)
        guard name.hasPrefix("gemini-") else { return false }
        let major = name.dropFirst("gemini-".count).prefix { $0.isASCII && $0.isNumber }
        return Int(major).map { $0 >= 3 } ?? false
    }

    static func functionCallingConfig(_ c: ToolChoice) -> JSONValue {
        switch c {
        case .auto: return ["mode": "AUTO"]
        case .none: return ["mode": "NONE"]
        case .required: return ["mode": "ANY"]
        case .function(let name): return ["mode": "ANY", "allowedFunctionNames": [.string(name)]]
        }
    }
}
