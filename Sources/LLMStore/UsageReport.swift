import FoundationEssentials
import LLMDomain

/// Sums over a set of usage rows; exact integers.
public struct UsageTotals: Sendable, Equatable {
    /// Rows of any status (pending, completed, failed, cancelled, interrupted).
    public var requests: Int
    public var inputTokens: Int
    public var outputTokens: Int
    public var cacheReadInputTokens: Int
    public var cacheCreationInputTokens: Int
    public var reasoningTokens: Int
    /// The sum of the priced rows' total costs.
    public var totalCost: Money
    /// Rows with a cost; `requests - pricedRequests` were unpriced or are still pending.
    public var pricedRequests: Int

    public init(requests: Int = 0, inputTokens: Int = 0, outputTokens: Int = 0, cacheReadInputTokens: Int = 0,
                cacheCreationInputTokens: Int = 0, reasoningTokens: Int = 0, totalCost: Money = .zero,
                pricedRequests: Int = 0) {
        self.requests = requests
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadInputTokens = cacheReadInputTokens
        self.cacheCreationInputTokens = cacheCreationInputTokens
        self.reasoningTokens = reasoningTokens
        self.totalCost = totalCost
        self.pricedRequests = pricedRequests
    }

    public static let zero = UsageTotals()

    static func + (a: UsageTotals, b: UsageTotals) -> UsageTotals {
        UsageTotals(requests: a.requests + b.requests, inputTokens: a.inputTokens + b.inputTokens,
                    outputTokens: a.outputTokens + b.outputTokens,
                    cacheReadInputTokens: a.cacheReadInputTokens + b.cacheReadInputTokens,
                    cacheCreationInputTokens: a.cacheCreationInputTokens + b.cacheCreationInputTokens,
                    reasoningTokens: a.reasoningTokens + b.reasoningTokens, totalCost: a.totalCost + b.totalCost,
                    pricedRequests: a.pricedRequests + b.pricedRequests)
    }
}

/// Usage of one model. Name and provider are those of the model's latest row in the window.
public struct ModelUsage: Sendable, Equatable {
    public var modelId: String
    public var modelName: String
    public var provider: Provider
    public var totals: UsageTotals
}

/// Usage of one UTC day.
public struct DayUsage: Sendable, Equatable {
    /// "YYYY-MM-DD" (UTC).
    public var date: String
    public var totals: UsageTotals
}

/// Usage of one user (all-users reports only).
public struct UserUsage: Sendable, Equatable {
    public var userId: String
    /// nil if the user no longer exists.
    public var email: String?
    public var totals: UsageTotals
}

/// A usage report over [from, to] (both inclusive), aggregated in SQL.
public struct UsageReport: Sendable, Equatable {
    public var from: Date
    public var to: Date
    public var totals: UsageTotals
    /// By model name, then model id.
    public var byModel: [ModelUsage]
    /// Days that have usage, oldest first.
    public var byDay: [DayUsage]
    /// Only in all-users reports (`userId` nil); by email. nil otherwise.
    public var byUser: [UserUsage]?
    /// Requests per status (completed, failed, cancelled, interrupted, pending).
    public var byStatus: [UsageStatus: Int] = [:]
}
