import JSONRPC
import LLMCrypto
import LLMDomain
import LLMJSON

/// `admin/users/update`: activate/deactivate, superuser flag, password, name, monthly budget.
struct UpdateUserMethod: RPCMethod {
    static let name = "admin/users/update"
    static let access = MethodAccess.superuser

    struct Params: RPCParams {
        var id: String
        var isActive: Bool?
        var isSuperuser: Bool?
        var password: String?
        var fullName: String??
        var monthlyBudget: Money??
        init(_ p: JSONRPC.Params) throws {
            id = try p.string("id")
            isActive = try p.optionalBool("is_active")
            isSuperuser = try p.optionalBool("is_superuser")
            password = try p.optionalString("password").map { try UserValidation.password($0) }
            fullName = try p.patchString("full_name").asDoubleOptional
            switch try p.patchDecimal("monthly_budget_usd") {
            case .absent: monthlyBudget = nil
            case .null: monthlyBudget = .some(nil)
            case .value(let d):
                guard d >= 0, let m = Money(usd: d) else {
                    throw RPCError.invalidParams(field: "monthly_budget_usd",
                                                 "'monthly_budget_usd' must be a non-negative amount with at most 12 decimals")
                }
                monthlyBudget = .some(m)
            }
        }
    }

    static func handle(_ params: Params, _ ctx: MethodContext) async throws -> JSONValue {
        if params.id == ctx.caller.id, params.isActive == false || params.isSuperuser == false {
            throw DomainError(.forbidden, "A superuser cannot deactivate or demote themselves")
        }
        let hash = try params.password.map { try PasswordHasher.hash($0) }
        let user = try ctx.db.updateUser(id: params.id.lowercased(), isActive: params.isActive,
                                         isSuperuser: params.isSuperuser, passwordHash: hash,
                                         fullName: params.fullName, monthlyBudget: params.monthlyBudget)
        return .object(UserJSON.basic(user))
    }
}
