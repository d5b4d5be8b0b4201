import LLMDomain
import LLMJSON

/// Anthropic Messages API (`POST {base}/v1/messages`).
public struct AnthropicAdapter: ProviderAdapter {
    public static let apiVersion = "2023-06-01"
    public var provider: Provider { .anthropic }

    public init() {}

    public func makeRequest(_ request: ChatRequest, apiKey: SecretKey, baseURL: String, stream: Bool) throws -> UpstreamRequest {
        let body = try AnthropicRequest.body(request, stream: stream)
        return UpstreamRequest(
            url: ProviderJSON.trimBase(baseURL) + "/v1/messages",
            headers: [
                ("x-api-key", apiKey.reveal),
                ("anthropic-version", Self.apiVersion),
                ("content-type", "application/json"),
                ("Expect", ""),
            ],
            body: JSONWriter.bytes(body))
    }

    public func parseResponse(body: [UInt8]) throws -> ChatResponse {
        guard let m = ProviderJSON.object(body) else { throw ProviderJSON.malformedBody() }
        if m.string("type") == "error" || m.present("error") != nil {
            throw AnthropicMapping.error(m, rawBody: body, status: 200, headers: [], key: nil)
        }
        guard let content = m["content"]?.arrayValue else { throw ProviderJSON.malformedBody() }
        var r = ChatResponse(providerMessageId: m.string("id"))
        for block in content {
            switch block.string("type") {
            case "text": r.text += block.string("text") ?? ""
            case "thinking": r.reasoning += block.string("thinking") ?? ""
            case "tool_use":
                let input = block["input"] ?? .object(JSONObject())
                r.toolCalls.append(ToolCall(id: block.string("id") ?? ToolCallID.make(), name: block.string("name") ?? "",
                                            arguments: JSONWriter.string(input)))
            default: break
            }
        }
        r.finishReason = m.string("stop_reason").map(AnthropicMapping.finishReason) ?? (r.toolCalls.isEmpty ? .stop : .toolCalls)
        if let u = m.present("usage") { r.usage = AnthropicMapping.usage(u) }
        return r
    }

    public func parseError(status: Int, headers: [(String, String)], body: [UInt8], apiKey: SecretKey?) -> ProviderError {
        AnthropicMapping.error(ProviderJSON.object(body), rawBody: body, status: status, headers: headers, key: apiKey)
    }

    public func makeStreamParser() -> any ProviderStreamParser { AnthropicStreamParser() }
}
