import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import LLMDomain

/// Whose API key paid for a request.
public enum KeySource: String, Sendable, Codable {
    case user, system
}

/// The state of a usage row. `pending` until the request settles; `interrupted` when the
/// process that owned a pending row died.
public enum UsageStatus: String, Sendable, Codable, CaseIterable {
    case pending, completed, failed, cancelled, interrupted
}

/// The exact cost of one request, per bucket (PROTOCOL §3.7). Absent (nil) when unpriced.
public struct UsageCost: Sendable, Equatable {
    public var input: Money
    public var output: Money
    public var total: Money

    /// `total` is `input + output`.
    public init(input: Money, output: Money) {
        self.input = input
        self.output = output
        self.total = input + output
    }
}

/// A usage row to open before the upstream call (`AppDatabase.beginUsage`).
public struct PendingUsage: Sendable, Equatable {
    public var userId: String
    public var modelId: String
    public var modelName: String
    public var provider: Provider
    public var keySource: KeySource
    public var stream: Bool
    /// The model's prices now; the row keeps them, whatever later price changes.
    public var prices: ModelPrices
    /// The most this request may cost (e.g. max input + max output at these prices),
    /// held against the user's monthly budget until the row settles.
    public var reservation: Money
    public var createdAt: Date
    /// The process that owns the row (for `markInterruptedUsage`).
    public var serverPid: Int32
    /// When set: the settings generation the request's user, model and key were read at;
    /// `beginUsage` throws `StaleSettings` (and writes nothing) if it has changed since.
    public var settingsGeneration: Int64? = nil

    public init(userId: String, modelId: String, modelName: String, provider: Provider, keySource: KeySource,
                stream: Bool, prices: ModelPrices, reservation: Money = .zero, createdAt: Date = Date(),
                serverPid: Int32 = ownProcessID) {
        self.userId = userId
        self.modelId = modelId
        self.modelName = modelName
        self.provider = provider
        self.keySource = keySource
        self.stream = stream
        self.prices = prices
        self.reservation = reservation
        self.createdAt = createdAt
        self.serverPid = serverPid
    }
}

/// The outcome of a chat call that produced an answer (completed, or cancelled/failed with
/// partial output), for `AppDatabase.settleChat`.
public struct ChatSettlement: Sendable, Equatable {
    /// The id returned by `beginUsage`; user and model come from that row.
    public var usageId: String
    /// nil: start a new conversation (titled after the first user message).
    public var conversationId: String?
    /// The request's messages, appended in order.
    public var messages: [ChatMessage]
    /// The answer; nil stores no assistant message.
    public var assistant: ChatMessage?
    public var status: UsageStatus
    public var errorType: String?
    public var upstreamStatus: Int?
    public var usage: Usage
    public var usageEstimated: Bool
    /// nil: the model is unpriced.
    public var cost: UsageCost?
    public var latencyMs: Int?
    public var completedAt: Date

    public init(usageId: String, conversationId: String?, messages: [ChatMessage], assistant: ChatMessage?,
                status: UsageStatus = .completed, errorType: String? = nil, upstreamStatus: Int? = nil,
                usage: Usage, usageEstimated: Bool = false, cost: UsageCost?, latencyMs: Int? = nil,
                completedAt: Date = Date()) {
        self.usageId = usageId
        self.conversationId = conversationId
        self.messages = messages
        self.assistant = assistant
        self.status = status
        self.errorType = errorType
        self.upstreamStatus = upstreamStatus
        self.usage = usage
        self.usageEstimated = usageEstimated
        self.cost = cost
        self.latencyMs = latencyMs
        self.completedAt = completedAt
    }
}

/// The outcome of a request that stores no messages (typically a failure), for
/// `AppDatabase.settleUsage`.
public struct UsageSettlement: Sendable, Equatable {
    public var status: UsageStatus
    /// The error's `data.type` ("upstream_error", "upstream_rate_limited", ...).
    public var errorType: String?
    public var upstreamStatus: Int?
    /// Tokens consumed, if any were reported or estimated.
    public var usage: Usage
    public var usageEstimated: Bool
    /// nil: unpriced (or nothing to price: then pass a zero cost for a priced model).
    public var cost: UsageCost?
    public var latencyMs: Int?
    public var completedAt: Date

    public init(status: UsageStatus, errorType: String? = nil, upstreamStatus: Int? = nil, usage: Usage = .zero,
                usageEstimated: Bool = false, cost: UsageCost?, latencyMs: Int? = nil, completedAt: Date = Date()) {
        self.status = status
        self.errorType = errorType
        self.upstreamStatus = upstreamStatus
        self.usage = usage
        self.usageEstimated = usageEstimated
        self.cost = cost
        self.latencyMs = latencyMs
        self.completedAt = completedAt
    }
}

/// The settings (users, keys, models) changed after a request read them from memory: adopt
/// `current` (`AppDatabase.adoptSettingsGeneration`) and resolve the request again.
public struct StaleSettings: Error, Sendable, Equatable {
    public let current: Int64
}

/// This process's id, read once: `getpid` is a system call every time (glibc keeps no copy),
/// and every chat request stamps its rows with it. The server never forks without exec.
public let ownProcessID: Int32 = getpid()
