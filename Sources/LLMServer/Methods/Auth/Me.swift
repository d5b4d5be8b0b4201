import FoundationEssentials
import JSONRPC
import LLMDomain
import LLMJSON
import LLMStore

/// `users/me`: the caller, with their monthly budget and this month's spend.
struct MeMethod: RPCMethod {
    static let name = "users/me"
    static let access = MethodAccess.user

    static func handle(_ params: NoParams, _ ctx: MethodContext) async throws -> JSONValue {
        try UserJSON.me(ctx.caller, db: ctx.db)
    }
}

/// The user object of PROTOCOL.md §3.2 (plus budget fields).
enum UserJSON {
    static func basic(_ u: UserRecord) -> JSONObject {
        [
            "id": .string(u.id), "email": .string(u.email), "full_name": .optional(u.fullName),
            "is_active": .bool(u.isActive), "is_superuser": .bool(u.isSuperuser),
            "created_at": .string(Timestamps.rfc3339(u.createdAt)),
            "monthly_budget_usd": .money(u.monthlyBudget),
        ]
    }

    static func me(_ u: UserRecord, db: AppDatabase) throws -> JSONValue {
        var o = basic(u)
        let (spent, reserved) = try db.monthSpend(userId: u.id, now: Date())
        o["spent_this_month_usd"] = .money(spent)
        o["reserved_usd"] = .money(reserved)
        if let b = u.monthlyBudget {
            o["remaining_budget_usd"] = .money(b - spent - reserved)
        }
        return .object(o)
    }
}
