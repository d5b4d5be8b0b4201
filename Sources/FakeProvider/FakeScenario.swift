/// Which real provider API a request (or a scenario) belongs to.
public enum FakeProviderKind: String, Sendable, CaseIterable {
    case anthropic, openai, google
}

/// How a fake answer ends: naturally, or because the token limit was reached.
public enum FakeFinish: Sendable, Equatable {
    /// Anthropic `end_turn`, OpenAI `stop`, Gemini `STOP`.
    case stop
    /// Anthropic `max_tokens`, OpenAI `length`, Gemini `MAX_TOKENS`.
    case length
}

/// Token usage in normalised, non-overlapping terms. The server converts it to each provider's
/// native fields and semantics:
/// - Anthropic: `input_tokens` = input, `cache_read_input_tokens` = cacheRead,
///   `cache_creation_input_tokens` = cacheWrite, `output_tokens` = output.
/// - OpenAI: `prompt_tokens` = input + cacheRead + cacheWrite, `prompt_tokens_details.cached_tokens` =
///   cacheRead (`cache_write_tokens` = cacheWrite when > 0), `completion_tokens` = output,
///   `completion_tokens_details.reasoning_tokens` = reasoning.
/// - Gemini: `promptTokenCount` = input + cacheRead, `cachedContentTokenCount` = cacheRead,
///   `candidatesTokenCount` = output − reasoning, `thoughtsTokenCount` = reasoning,
///   `totalTokenCount` = the sum. (Gemini has no cache-write count; cacheWrite is not reported.)
public struct FakeUsage: Sendable, Equatable {
    /// Uncached input tokens.
    public var input: Int
    /// Output tokens, reasoning included.
    public var output: Int
    /// Input tokens read from the prompt cache.
    public var cacheRead: Int
    /// Input tokens written to the prompt cache.
    public var cacheWrite: Int
    /// Reasoning ("thinking") tokens, a part of `output`.
    public var reasoning: Int

    public init(input: Int = 0, output: Int = 0, cacheRead: Int = 0, cacheWrite: Int = 0, reasoning: Int = 0) {
        self.input = input
        self.output = output
        self.cacheRead = cacheRead
        self.cacheWrite = cacheWrite
        self.reasoning = reasoning
    }
}

/// What the fake server does with one request.
public enum FakeScenario: Sendable {
    /// A normal answer: text split into these chunks (streamed one SSE event each; joined when not
    /// streaming), with exactly these usage numbers reported in each provider's native fields.
    /// `chunkDelayMs` delays each content event (scheduled on the event loop, not slept);
    /// `reasoning` chunks come first as Anthropic thinking / Gemini thought parts (OpenAI Chat
    /// Completions does not stream reasoning; only `reasoning_tokens` is reported).
    case text(chunks: [String], usage: FakeUsage, finish: FakeFinish = .stop, chunkDelayMs: Int = 0, reasoning: [String] = [])
    /// A tool call (after an optional text part). `argumentsChunks` joined must be a JSON object
    /// (it is sent raw as the Anthropic `input` / Gemini `args`, and as the OpenAI `arguments` string).
    /// A nil `id` gets a fixed fake id for Anthropic/OpenAI and no id for Gemini. Gemini puts
    /// `thoughtSignature` on the call's part, as Gemini 3 does; the others ignore it.
    case toolCall(id: String?, name: String, argumentsChunks: [String], text: String? = nil, usage: FakeUsage,
                  thoughtSignature: String? = nil)
    /// A raw response under full control: status, body, extra headers (content-type defaults to JSON).
    case httpError(status: Int, body: String, headers: [(String, String)] = [])
    /// The provider's real 429: Anthropic `rate_limit_error` + `anthropic-ratelimit-*`, OpenAI
    /// `rate_limit_exceeded` + `x-ratelimit-*`, Gemini `RESOURCE_EXHAUSTED` (with `RetryInfo` when
    /// seconds are given). `retry-after` is sent by Anthropic and OpenAI when non-nil.
    case rateLimited(retryAfterSeconds: Int?)
    /// Anthropic 529 `overloaded_error`, OpenAI 503, Gemini 503 `UNAVAILABLE`.
    case overloaded
    /// OpenAI 429 `insufficient_quota`; Anthropic 400 "credit balance is too low"; Gemini 429 quota.
    case insufficientQuota
    /// A 200 stream with these deltas, then the provider's in-stream error event. For a
    /// non-streaming request: the provider's server error (Anthropic 529, OpenAI 500, Gemini 500).
    case errorMidStream(afterChunks: [String], usage: FakeUsage)
    /// Streams these deltas, then closes the connection before the usage-bearing event (Anthropic
    /// `message_delta`, OpenAI usage chunk / `[DONE]`, Gemini final chunk). Non-streaming: half the body.
    case dropBeforeUsage(afterChunks: [String], usage: FakeUsage)
    /// Reads the request and never answers (until the client closes).
    case hang
    /// Like `.text`, with a delay before each chunk — for cancellation tests.
    case slowStream(chunks: [String], usage: FakeUsage, chunkDelayMs: Int)
    /// Like `.text`, but after the response head and the first `afterChunks` deltas of a stream,
    /// nothing is sent until the test opens `gate` (a plain answer waits before its body):
    /// requests held in flight, and streams held mid-way, for exactly as long as a test needs.
    case held(chunks: [String], usage: FakeUsage, gate: FakeGate, afterChunks: Int = 0)
    /// A 200 JSON-ish body of exactly that many bytes, streamed without holding it in memory.
    case hugeBody(bytes: Int)
    /// Sends the 200 response head, then closes the connection (no body, no chunked terminator).
    case reset

    /// The answer every provider gives when its queue is empty, unless `setDefault` changed it:
    /// "Hello there!" in chunks ["Hello", " there", "!"], input 11, output 6.
    public static let standard = FakeScenario.text(chunks: ["Hello", " there", "!"], usage: FakeUsage(input: 11, output: 6))
}
