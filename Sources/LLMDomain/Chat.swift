import LLMJSON

/// The three upstream providers.
public enum Provider: String, CaseIterable, Sendable, Codable {
    case anthropic, openai, google
}

/// One message of the unified (OpenAI-shaped) chat format that clients send.
public struct ChatMessage: Sendable, Equatable {
    public enum Role: String, Sendable, Codable { case system, user, assistant, tool }
    public var role: Role
    /// Text content; a client's list of text parts is joined into one string.
    public var content: String
    /// Assistant messages: tool calls the model made earlier.
    public var toolCalls: [ToolCall]
    /// Tool messages: the id of the call this message answers.
    public var toolCallId: String?

    public init(role: Role, content: String, toolCalls: [ToolCall] = [], toolCallId: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallId = toolCallId
    }
}

/// A function call made by the model, in OpenAI's shape: `arguments` is JSON text.
public struct ToolCall: Sendable, Equatable {
    public var id: String
    public var name: String
    public var arguments: String
    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// An OpenAI-style function tool: name, description, JSON Schema of the parameters.
public struct ToolDefinition: Sendable, Equatable {
    public var name: String
    public var description: String?
    public var parameters: JSONValue
    public init(name: String, description: String? = nil, parameters: JSONValue = ["type": "object", "properties": [:]]) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

public enum ToolChoice: Sendable, Equatable {
    case auto, none, required
    case function(String)
}

/// A provider-neutral chat request. `model` is the provider's own model name.
public struct ChatRequest: Sendable, Equatable {
    public var model: String
    public var messages: [ChatMessage]
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var stop: [String]?
    public var tools: [ToolDefinition]?
    public var toolChoice: ToolChoice?

    public init(model: String, messages: [ChatMessage], maxTokens: Int? = nil, temperature: Double? = nil,
                topP: Double? = nil, stop: [String]? = nil, tools: [ToolDefinition]? = nil, toolChoice: ToolChoice? = nil) {
        self.model = model
        self.messages = messages
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.stop = stop
        self.tools = tools
        self.toolChoice = toolChoice
    }
}

/// Why generation ended, the same words for every provider.
public enum FinishReason: String, Sendable, Codable {
    case stop, length
    case toolCalls = "tool_calls"
    case contentFilter = "content_filter"
    case cancelled, error
}

/// Token usage in non-overlapping buckets (PROTOCOL.md §3.7):
/// `inputTokens` is uncached input; the cache buckets are the cached parts;
/// `outputTokens` includes reasoning; `reasoningTokens` is the part of it spent thinking.
public struct Usage: Sendable, Equatable, Codable {
    public var inputTokens: Int
    public var outputTokens: Int
    public var cacheReadInputTokens: Int
    public var cacheCreationInputTokens: Int
    public var reasoningTokens: Int

    public init(inputTokens: Int = 0, outputTokens: Int = 0, cacheReadInputTokens: Int = 0,
                cacheCreationInputTokens: Int = 0, reasoningTokens: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadInputTokens = cacheReadInputTokens
        self.cacheCreationInputTokens = cacheCreationInputTokens
        self.reasoningTokens = reasoningTokens
    }

    public static let zero = Usage()

    /// The input buckets plus output.
    public var totalTokens: Int { inputTokens + cacheReadInputTokens + cacheCreationInputTokens + outputTokens }
}

/// A complete (non-streamed, or fully accumulated) assistant answer.
public struct ChatResponse: Sendable, Equatable {
    public var providerMessageId: String?
    public var text: String
    public var reasoning: String
    public var toolCalls: [ToolCall]
    public var finishReason: FinishReason
    /// nil when the provider reported no usage.
    public var usage: Usage?

    public init(providerMessageId: String? = nil, text: String = "", reasoning: String = "", toolCalls: [ToolCall] = [],
                finishReason: FinishReason = .stop, usage: Usage? = nil) {
        self.providerMessageId = providerMessageId
        self.text = text
        self.reasoning = reasoning
        self.toolCalls = toolCalls
        self.finishReason = finishReason
        self.usage = usage
    }
}

/// One unified streaming event produced by a provider's stream parser.
public enum ChatEvent: Sendable, Equatable {
    case textDelta(String)
    case reasoningDelta(String)
    /// A fragment of a tool call; `index` is its position among the answer's tool calls.
    /// `id` and `name` come with the first fragment of a call, `arguments` is a JSON-text fragment.
    case toolCallDelta(index: Int, id: String?, name: String?, arguments: String)
    /// The usage so far, already normalised: a full snapshot that replaces the previous one,
    /// never an increment to add.
    case usage(Usage)
    case finish(FinishReason)
    /// An error the provider sent inside a stream that had started with HTTP 200.
    case error(ProviderError)
}

/// An HTTP request to a provider, built by an adapter; no transport in it.
public struct UpstreamRequest: Sendable, Equatable {
    public var url: String
    public var method: String
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(url: String, method: String = "POST", headers: [(String, String)], body: [UInt8]) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
    }

    public static func == (a: UpstreamRequest, b: UpstreamRequest) -> Bool {
        a.url == b.url && a.method == b.method && a.body == b.body
            && a.headers.map { "\($0.0.lowercased()):\($0.1)" } == b.headers.map { "\($0.0.lowercased()):\($0.1)" }
    }
}

/// A provider's error, classified. `message` must already have any API key removed.
public struct ProviderError: Error, Sendable, Equatable {
    public enum Kind: String, Sendable {
        case rateLimited = "rate_limited"
        case quotaExceeded = "insufficient_quota"
        case overloaded
        case authFailed = "auth_failed"
        case invalidRequest = "invalid_request"
        case contextWindowExceeded = "context_window_exceeded"
        case notFound = "not_found"
        case server
        case other
    }
    public var kind: Kind
    /// The upstream HTTP status (200 for an error event inside a stream).
    public var status: Int
    public var message: String
    /// From `retry-after` (seconds or HTTP date) or the body, when given.
    public var retryAfterMs: Int?

    public init(kind: Kind, status: Int, message: String, retryAfterMs: Int? = nil) {
        self.kind = kind
        self.status = status
        self.message = message
        self.retryAfterMs = retryAfterMs
    }

    /// 429 (not quota), 529, 503 and overloaded errors may be retried before output starts.
    public var isRetryable: Bool { kind == .rateLimited || kind == .overloaded }
}
