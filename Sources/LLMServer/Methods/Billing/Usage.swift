import FoundationEssentials
import JSONRPC
import LLMDomain
import LLMJSON
import LLMStore

/// `billing/usage/myUsage`: the caller's usage over the last `days` × 24 hours.
struct MyUsageMethod: RPCMethod {
    static let name = "billing/usage/myUsage"
    static let access = MethodAccess.user

    struct Params: RPCParams {
        var days: Int
        init(_ p: JSONRPC.Params) throws { days = try p.int("days", default: 30, range: 1...366) }
    }

    static func handle(_ params: Params, _ ctx: MethodContext) async throws -> JSONValue {
        try UsageJSON.report(db: ctx.db, userID: ctx.caller.id, days: params.days, includeUsers: false)
    }
}

/// `billing/usage/allUsers` (superuser): everyone's usage, or one user's with `user_id`, with `by_user`.
struct AllUsersUsageMethod: RPCMethod {
    static let name = "billing/usage/allUsers"
    static let access = MethodAccess.superuser

    struct Params: RPCParams {
        var days: Int
        var userID: String?
        init(_ p: JSONRPC.Params) throws {
            days = try p.int("days", default: 30, range: 1...366)
            userID = try p.optionalString("user_id")?.lowercased()
        }
    }

    static func handle(_ params: Params, _ ctx: MethodContext) async throws -> JSONValue {
        if let uid = params.userID, try ctx.db.user(id: uid) == nil {
            throw DomainError(.userNotFound, "No such user")
        }
        return try UsageJSON.report(db: ctx.db, userID: params.userID, days: params.days, includeUsers: true)
    }
}

/// The usage report of PROTOCOL.md §3.9, also used by `llmrpc usage --json`.
public enum UsageJSON {
    public static func report(db: AppDatabase, userID: String?, days: Int, includeUsers: Bool,
                              now: Date = Date()) throws -> JSONValue {
        let from = now.addingTimeInterval(-Double(days) * 86400)
        let r = try db.usageReport(userId: userID, from: from, to: now)
        var o: JSONObject = [
            "days": .int(days), "from": .string(Timestamps.rfc3339(from)), "to": .string(Timestamps.rfc3339(now)),
            "total_requests": .int(r.totals.requests), "total_input_tokens": .int(r.totals.inputTokens),
            "total_output_tokens": .int(r.totals.outputTokens),
            "total_cache_read_input_tokens": .int(r.totals.cacheReadInputTokens),
            "total_cache_creation_input_tokens": .int(r.totals.cacheCreationInputTokens),
            "total_reasoning_tokens": .int(r.totals.reasoningTokens),
            "total_cost": .money(r.totals.totalCost),
            "unpriced_requests": .int(r.totals.requests - r.totals.pricedRequests),
            "by_status": .object(JSONObject(UsageStatus.allCases.map { ($0.rawValue, .int(r.byStatus[$0] ?? 0)) })),
            "by_model": .array(r.byModel.map { m in
                var o: JSONObject = ["model_id": .string(m.modelId), "model_name": .string(m.modelName),
                                     "provider": .string(m.provider.rawValue)]
                totals(m.totals, into: &o)
                return .object(o)
            }),
            "by_day": .array(r.byDay.map { d in
                var o: JSONObject = ["date": .string(d.date)]
                totals(d.totals, into: &o)
                return .object(o)
            }),
        ]
        if includeUsers {
            o["by_user"] = .array((r.byUser ?? []).map { u in
                var o: JSONObject = ["user_id": .string(u.userId), "email": .optional(u.email)]
                totals(u.totals, into: &o)
                return .object(o)
            })
        }
        return .object(o)
    }

    static func totals(_ t: UsageTotals, into o: inout JSONObject) {
        o["requests"] = .int(t.requests)
        o["input_tokens"] = .int(t.inputTokens)
        o["output_tokens"] = .int(t.outputTokens)
        o["cache_read_input_tokens"] = .int(t.cacheReadInputTokens)
        o["cache_creation_input_tokens"] = .int(t.cacheCreationInputTokens)
        o["total_cost"] = .money(t.totalCost)
    }
}
