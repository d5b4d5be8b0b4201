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

    public func parseError(status: Int, headers: [(String, String)], body: [UInt8], apiKey: SecretKey?) -> ProviderError {
        OpenAIMapping.error(ProviderJSON.object(body), rawBody: body, status: status, headers: headers, key: apiKey)
    }

    public func makeStreamParser() -> any ProviderStreamParser { OpenAIStreamParser() }
}
