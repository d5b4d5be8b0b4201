import FoundationEssentials
import LLMDomain

/// A row of `users`.
public struct UserRecord: Sendable, Equatable {
    public var id: String
    public var email: String
    public var fullName: String?
    /// The password hash as produced by LLMCrypto (argon2id string); never a password.
    public var passwordHash: String
    public var isActive: Bool
    public var isSuperuser: Bool
    /// nil: no monthly budget.
    public var monthlyBudget: Money?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, email: String, fullName: String?, passwordHash: String, isActive: Bool,
                isSuperuser: Bool, monthlyBudget: Money?, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.email = email
        self.fullName = fullName
        self.passwordHash = passwordHash
        self.isActive = isActive
        self.isSuperuser = isSuperuser
        self.monthlyBudget = monthlyBudget
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    init(row: Row) {
        id = row["id"]
        email = row["email"]
        fullName = row["full_name"]
        passwordHash = row["password_hash"]
        isActive = row["is_active"]
        isSuperuser = row["is_superuser"]
        monthlyBudget = (row["monthly_budget_pico"] as Int64?).map(Money.init(picodollars:))
        createdAt = Timestamp.date(row["created_at"])
        updatedAt = Timestamp.date(row["updated_at"])
    }
}
