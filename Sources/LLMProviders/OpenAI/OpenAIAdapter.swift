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
        var s = JSONScanner(bytes)
        var id: String? = nil, content: String? = nil, refusal: String? = nil
        var reasoningContent: String? = nil, reasoning: String? = nil, finish: String? = nil
        var usage: Usage? = nil
        var choices = 0
        var seen: UInt16 = 0
        func first(_ bit: UInt16) -> Bool {
            defer { seen |= bit }
            return seen & bit == 0
        }
        do {
            try s.beginObject()
            while let key = try s.nextKey() {
                guard key.isPlain else { return nil }
                if key == "id" {
                    guard first(1) else { return nil }
                    id = try s.stringOrNull()
                } else if key == "choices" {
                    guard first(2) else { return nil }
                    try s.beginArray()
                    while try s.nextElement() {
                        choices += 1
                        guard choices == 1 else { return nil }
                        try s.beginObject()
                        while let k = try s.nextKey() {
                            guard k.isPlain else { return nil }
                            if k == "message" {
                                guard first(4) else { return nil }
                                try s.beginObject()
                                while let m = try s.nextKey() {
                                    guard m.isPlain else { return nil }
                                    if m == "content" {
                                        guard first(8) else { return nil }
                                        content = try s.stringOrNull()
                                    } else if m == "refusal" {
                                        guard first(16) else { return nil }
                                        refusal = try s.stringOrNull()
                                    } else if m == "reasoning_content" {
                                        guard first(32) else { return nil }
                                        reasoningContent = try s.stringOrNull()
                                    } else if m == "reasoning" {
                                        guard first(64) else { return nil }
                                        reasoning = try s.stringOrNull()
                                    } else if m == "tool_calls" {
                                        guard s.peek() == .null else { return nil }
                                        try s.skipValue()
                                    } else {
                                        try s.skipValue()
                                    }
                                }
                            } else if k == "finish_reason" {
                                guard first(128) else { return nil }
                                finish = try s.stringOrNull()
                            } else {
                                try s.skipValue()
                            }
                        }
                    }
                } else if key == "usage" {
                    guard first(256) else { return nil }
                    if s.peek() == .null {
                        try s.skipValue()
                    } else {
                        guard s.peek() == .object else { return nil }
                        usage = OpenAIMapping.usage(try JSONParser.parse(buffer: try s.rawValue()))
                    }
                } else if key == "error" {
                    guard s.peek() == .null else { return nil }
                    try s.skipValue()
                } else {
                    try s.skipValue()
                }
            }
            try s.finish()
        } catch {
            return nil
        }
        guard seen & 2 != 0 else { return nil }  // no choices: malformed, for the full parse to say
        var out = ChatResponse(providerMessageId: id)
        if choices == 1 {
            out.text = content ?? ""
            if out.text.isEmpty, let refusal { out.text = refusal }
            out.reasoning = reasoningContent ?? reasoning ?? ""
            out.finishReason = finish.map(OpenAIMapping.finishReason) ?? .stop
        }
        out.usage = usage
        return out
    }

    public func parseError(status: Int, headers: [(String, String)], body: [UInt8], apiKey: SecretKey?) -> ProviderError {
        OpenAIMapping.error(ProviderJSON.object(body), rawBody: body, status: status, headers: headers, key: apiKey)
    }

    public func makeStreamParser() -> any ProviderStreamParser { OpenAIStreamParser() }
}
