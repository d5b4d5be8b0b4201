import LLMDomain
import LLMJSON

/// Google Gemini Developer API (`{base}/v1beta/models/{model}:generateContent`,
/// streaming `:streamGenerateContent?alt=sse`).
public struct GeminiAdapter: ProviderAdapter {
    public var provider: Provider { .google }

    public init() {}

    public func makeRequest(_ request: ChatRequest, apiKey: SecretKey, baseURL: String, stream: Bool) throws -> UpstreamRequest {
        let body = try GeminiRequest.body(request)
        let model = GeminiRequest.modelName(request.model)
        guard !model.isEmpty else { throw DomainError.invalidParams("model", "must not be empty") }
        let method = stream ? ":streamGenerateContent?alt=sse" : ":generateContent"
        return UpstreamRequest(
            url: ProviderJSON.trimBase(baseURL) + "/v1beta/models/" + model + method,
            headers: [
                ("x-goog-api-key", apiKey.reveal),
                ("content-type", "application/json"),
                ("Expect", ""),
            ],
            body: JSONWriter.bytes(body))
    }

    public func parseResponse(body: [UInt8]) throws -> ChatResponse {
        guard let r = ProviderJSON.object(body) else { throw ProviderJSON.malformedBody() }
        if r.present("error") != nil {
            throw GeminiMapping.error(r, rawBody: body, status: 200, headers: [], key: nil)
        }
        var out = ChatResponse(providerMessageId: r.string("responseId"))
        let candidate = r.array("candidates").first { ($0.int("index") ?? 0) == 0 } ?? r.array("candidates").first
        if let candidate {
            for p in candidate["content"]?.array("parts") ?? [] {
                switch GeminiMapping.part(p) {
                case .text(let t): out.text += t
                case .thought(let t): out.reasoning += t
                case .functionCall(let c): out.toolCalls.append(c)
                case .other: break
                }
            }
            out.finishReason = GeminiMapping.finishReason(candidate.string("finishReason") ?? "STOP",
                                                          hasFunctionCall: !out.toolCalls.isEmpty)
        } else if r["promptFeedback"]?.string("blockReason") != nil {
            out.finishReason = .contentFilter
        } else {
            throw ProviderJSON.malformedBody()
        }
        if let u = r.present("usageMetadata") { out.usage = GeminiMapping.usage(u) }
        return out
    }

    public func parseError(status: Int, headers: [(String, String)], body: [UInt8], apiKey: SecretKey?) -> ProviderError {
        let json = try? JSONParser.parse(body)
        return GeminiMapping.error(json, rawBody: body, status: status, headers: headers, key: apiKey)
    }

    public func makeStreamParser() -> any ProviderStreamParser { GeminiStreamParser() }
}
