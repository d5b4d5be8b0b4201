import FoundationEssentials
import LLMDomain

/// A row of `llm_usage_log`: one chat request, as recorded.
public struct UsageRow: Sendable, Equatable {
    public var id: String
    public var userId: String
    public var modelId: String
    public var modelName: String
    public var provider: Provider
    public var conversationId: String?
    public var messageId: String?
    public var keySource: KeySource
    public var stream: Bool
    public var status: UsageStatus
    public var errorType: String?
    public var upstreamStatus: Int?
    public var usage: Usage
    public var usageEstimated: Bool
    /// The prices used for this request.
    public var prices: ModelPrices
    /// nil when unpriced (`priced` false).
    public var cost: UsageCost?
    public var priced: Bool
    /// The budget still held by a pending row; zero once settled.
    public var reserved: Money
    public var latencyMs: Int?
    public var createdAt: Date
    public var completedAt: Date?
    public var serverPid: Int32

    init(row: Row) throws {
        id = row["id"]
        userId = row["user_id"]
        modelId = row["model_id"]
        modelName = row["model_name"]
        provider = try decodeProvider(row["provider"])
        conversationId = row["conversation_id"]
        messageId = row["message_id"]
        guard let keySource = KeySource(rawValue: row["key_source"]),
              let status = UsageStatus(rawValue: row["status"])
        else { throw DomainError(.storage, "Unknown key source or status in llm_usage_log") }
        self.keySource = keySource
        self.status = status
        stream = row["stream"]
        errorType = row["error_type"]
        upstreamStatus = row["upstream_status"]
        usage = Usage(inputTokens: row["input_tokens"], outputTokens: row["output_tokens"],
                      cacheReadInputTokens: row["cache_read_input_tokens"],
                      cacheCreationInputTokens: row["cache_creation_input_tokens"],
                      reasoningTokens: row["reasoning_tokens"])
        usageEstimated = row["usage_estimated"]
        prices = ModelPrices(row: row)
        priced = row["priced"]
        if let input: Int64 = row["input_cost_pico"], let output: Int64 = row["output_cost_pico"] {
            cost = UsageCost(input: Money(picodollars: input), output: Money(picodollars: output))
        } else {
            cost = nil
        }
        reserved = Money(picodollars: row["reserved_pico"])
        latencyMs = row["latency_ms"]
        createdAt = Timestamp.date(row["created_at"])
        completedAt = (row["completed_at"] as Int64?).map(Timestamp.date)
        serverPid = row["server_pid"]
    }
}
