import LLMDomain

/// Pure translation between the unified chat format and one provider's HTTP API.
/// No network: it builds requests and reads bytes that someone else sent and received.
public protocol ProviderAdapter: Sendable {
    var provider: Provider { get }

    /// The HTTP request for `request`. `stream` selects the streaming form
    /// (Anthropic/OpenAI: body `"stream": true`, OpenAI also `"stream_options": {"include_usage": true}`;
    /// Gemini: `{base}/v1beta/models/{model}:streamGenerateContent?alt=sse`, plain `:generateContent`).
    /// Anthropic: `{base}/v1/messages` with `x-api-key`, `anthropic-version: 2023-06-01`, `content-type`;
    /// OpenAI: `{base}/chat/completions` (the base already includes `/v1`) with `Authorization: Bearer`;
    /// Gemini: header `x-goog-api-key`. Every request carries an empty `Expect` header.
    /// Throws `DomainError.invalidParams(field, message)` for input the provider can't take
    /// (a tool message without `tool_call_id`, empty messages, tool-call arguments that are not a JSON object, ...).
    func makeRequest(_ request: ChatRequest, apiKey: SecretKey, baseURL: String, stream: Bool) throws -> UpstreamRequest

    /// Parses a complete 2xx non-streaming JSON body. A malformed body throws
    /// `ProviderError(kind: .server, status: 200, ...)`; an `{"error": ...}` body throws that error, classified.
    func parseResponse(body: [UInt8]) throws -> ChatResponse

    /// Classifies a non-2xx response. The message is the provider's own, with the API key and anything
    /// key-shaped (`sk-...`, `sk-ant-...`, `AIza...`) masked; `retryAfterMs` comes from `retry-after`
    /// (seconds or HTTP date), `retry-after-ms`, or a Gemini `RetryInfo.retryDelay`.
    func parseError(status: Int, headers: [(String, String)], body: [UInt8], apiKey: SecretKey?) -> ProviderError

    /// A fresh incremental parser for one streamed 200 response.
    func makeStreamParser() -> any ProviderStreamParser
}

/// Turns the bytes of one streamed response into unified `ChatEvent`s.
public protocol ProviderStreamParser {
    /// Feed bytes as they arrive, split anywhere (mid-line, mid-UTF-8 character).
    /// Returns the events they complete, in order.
    mutating func feed(_ bytes: [UInt8]) -> [ChatEvent]
    /// End of body: flush what is pending.
    mutating func finish() -> [ChatEvent]
    /// True once the provider's normal end was seen (Anthropic `message_stop`, OpenAI `[DONE]`,
    /// Gemini a chunk with `finishReason` and final usage). False at EOF means the stream was truncated.
    var completed: Bool { get }
}

/// The adapter of each provider.
public enum ProviderAdapters {
    public static func adapter(for provider: Provider) -> any ProviderAdapter {
        switch provider {
        case .anthropic: return AnthropicAdapter()
        case .openai: return OpenAIAdapter()
        case .google: return GeminiAdapter()
        }
    }
}
