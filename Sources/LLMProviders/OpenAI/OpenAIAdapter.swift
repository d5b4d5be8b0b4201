import LLMDomain
import LLMJSON

/// OpenAI Chat Completions (`POST {base}/chat/completions`, the base ending in `/v1`).
public struct OpenAIAdapter: ProviderAdapter {
    public var provider: Provider { .openai }

    public init() {}

    public func makeRequest(_ request: ChatRequest, apiKey: SecretKey, baseURL: String, stream: Bool) throws -> UpstreamRequest {
        let body = try OpenAIRequest.body(request, stream: stream)
        return UpstreamRequest(
            url: ProviderJSON.trimBase(baseURL) + "/chat/completions",
            headers: [
                ("Authorization", "Bearer " + apiKey.reveal),
                ("content-type", "application/json"),
                ("Expect", ""),
            ],
            body: JSONWriter.bytes(body))
    }

    public func parseResponse(body: [UInt8]) throws -> ChatResponse {
        if let r = body.withUnsafeBufferPointer({ Self.commonResponse($0) }) { return r }
        return try Self.anyResponse(body: body)
    }

    /// Any response, from its parsed JSON.
    static func anyResponse(body: [UInt8]) throws -> ChatResponse {
        guard let r = ProviderJSON.object(body) else { throw ProviderJSON.malformedBody() }
        if r.present("error") != nil {
            throw OpenAIMapping.error(r, rawBody: body, status: 200, headers: [], key: nil)
        }
        guard let choices = r["choices"]?.arrayValue else { throw ProviderJSON.malformedBody() }
        var out = ChatResponse(providerMessageId: r.string("id"))
        if let choice = choices.first(where: { ($0.int("index") ?? 0) == 0 }) ?? choices.first {
            let m = choice["message"] ?? .null
            out.text = m.string("content") ?? ""
            if out.text.isEmpty, let refusal = m.string("refusal") { out.text = refusal }
            out.reasoning = m.string("reasoning_content") ?? m.string("reasoning") ?? ""
            out.toolCalls = m.array("tool_calls").map { c in
                ToolCall(id: c.string("id") ?? ToolCallID.make(), name: c["function"]?.string("name") ?? "",
                         arguments: c["function"]?.string("arguments") ?? "")
            }
            out.finishReason = choice.string("finish_reason").map(OpenAIMapping.finishReason)
                ?? (out.toolCalls.isEmpty ? .stop : .toolCalls)
        }
        if let u = r.present("usage") { out.usage = OpenAIMapping.usage(u) }
        return out
    }

    /// The common response — one choice with text (or a refusal, or reasoning) and no tool
    /// calls — read without building the JSON tree of the whole body; only `usage` is parsed
    /// whole, and mapped as the full parse maps it. Anything else (tool calls, several choices,
    /// an error, a duplicate or escaped key, an unexpected type, malformed JSON) gives nil, and
    /// `anyResponse` reads the body. When it answers, it answers what `anyResponse` would.
    static func commonResponse(_ bytes: UnsafeBufferPointer<UInt8>) -> ChatResponse? {
        var id: String? = nil, message = OpenAIMapping.TextFields(), finish: String? = nil, usage: Usage? = nil
        var choices = 0, sawChoices = false
        let common = JSONScanner.read(bytes) { s in
            try s.readObject(Keys.response) { s, member in
                switch member {
                case 0: id = try s.stringOrNull()
                case 1:
                    sawChoices = true
                    return try s.readArray { s in
                        choices += 1
                        return try choices == 1 && s.readObject(Keys.choice) { s, field in
                            if field == 0 {
                                return try s.readObject(OpenAIMapping.TextFields.keys) { s, f in try message.read(&s, field: f) }
                            }
                            finish = try s.stringOrNull()
                            return true
                        }
                    }
                case 2:
                    usage = try s.objectOrNull().map(OpenAIMapping.usage)
                default: try s.null()  // error
                }
                return true
            }
        }
        guard common, sawChoices else { return nil }  // no choices: malformed, for the full parse to say
        var out = ChatResponse(providerMessageId: id)
        if choices == 1 {
            out.text = message.content ?? ""
            if out.text.isEmpty, let refusal = message.refusal { out.text = refusal }
            out.reasoning = message.reasoningText ?? ""
            out.finishReason = finish.map(OpenAIMapping.finishReason) ?? .stop
        }
        out.usage = usage
        return out
    }

    /// The members `commonResponse` reads, by object.
    enum Keys {
        static let response: [StaticString] = ["id", "choices", "usage", "error"]
        static let choice: [StaticString] = ["message", "finish_reason"]
    }

    public func parseError(status: Int, headers: [(String, String)], body: [UInt8], apiKey: SecretKey?) -> ProviderError {
        OpenAIMapping.error(ProviderJSON.object(body), rawBody: body, status: status, headers: headers, key: apiKey)
    }

    public func makeStreamParser() -> any ProviderStreamParser { OpenAIStreamParser() }
}
