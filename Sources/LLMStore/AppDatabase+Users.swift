import FoundationEssentials
import LLMDomain

extension AppDatabase {
    /// Creates a user. A duplicate email (compared case-insensitively) → `DomainError(.emailExists)`.
    public func createUser(email: String, fullName: String?, passwordHash: String, isSuperuser: Bool,
                           isActive: Bool = true) throws -> UserRecord {
        let now = Date()
        let ms = Timestamp.ms(now)
        let user = UserRecord(id: newId(), email: email, fullName: fullName, passwordHash: passwordHash,
                              isActive: isActive, isSuperuser: isSuperuser, monthlyBudget: nil,
                              createdAt: Timestamp.date(ms), updatedAt: Timestamp.date(ms))
        try write { db in
            do {
                try db.cachedStatement(sql: """
                        INSERT INTO users (id, email, full_name, password_hash, is_active, is_superuser,
                                           monthly_budget_pico, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)
                        """).execute(arguments: [user.id, email, fullName, passwordHash, isActive, isSuperuser, ms, ms])
            } catch where StorageError.isUniqueViolation(error) {
                throw DomainError(.emailExists, "A user with this email already exists")
            }
        }
        return user
    }

    /// The user with this id, or nil.
    public func user(id: String) throws -> UserRecord? {
        try read { db in try fetchUser(db, id: id) }
    }

    func fetchUser(_ db: Database, id: String) throws -> UserRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM users WHERE id = ?"), arguments: [id]).map(UserRecord.init(row:))
    }

    /// The user with this email (compared case-insensitively), or nil.
    public func user(email: String) throws -> UserRecord? {
        try read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM users WHERE email = ?"), arguments: [email])
                .map(UserRecord.init(row:))
        }
    }

    /// A page of users in creation order, and the total number of users.
    public func listUsers(skip: Int, limit: Int) throws -> (users: [UserRecord], total: Int) {
        try read { db in
            let users = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM users ORDER BY created_at, id LIMIT ? OFFSET ?"),
                arguments: [max(0, limit), max(0, skip)]
            ).map(UserRecord.init(row:))
            let total = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM users")) ?? 0
            return (users, total)
        }
    }

    /// Changes the given fields of a user (nil = keep; for `fullName` and `monthlyBudget`,
    /// `.some(nil)` clears). Unknown id → `DomainError(.userNotFound)`.
    public func updateUser(id: String, isActive: Bool? = nil, isSuperuser: Bool? = nil, passwordHash: String? = nil,
                           fullName: String?? = nil, monthlyBudget: Money?? = nil) throws -> UserRecord {
        try write { db in
            var sets: [String] = []
            var arguments: StatementArguments = []
            if let isActive { sets.append("is_active = ?"); arguments += [isActive] }
            if let isSuperuser { sets.append("is_superuser = ?"); arguments += [isSuperuser] }
            if let passwordHash { sets.append("password_hash = ?"); arguments += [passwordHash] }
            if let fullName { sets.append("full_name = ?"); arguments += [fullName] }
            if let monthlyBudget { sets.append("monthly_budget_pico = ?"); arguments += [monthlyBudget?.picodollars] }
            sets.append("updated_at = ?")
            arguments += [Timestamp.ms(Date())]
            arguments += [id]
            try db.cachedStatement(sql: "UPDATE users SET \(sets.joined(separator: ", ")) WHERE id = ?").execute(arguments: arguments)
            guard db.changesCount > 0,
                  let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM users WHERE id = ?"), arguments: [id])
            else { throw DomainError(.userNotFound, "User not found") }
            return UserRecord(row: row)
        }
    }

    /// Creates the first superuser unless a user with this email exists. Safe when several
    /// processes start at once (`INSERT OR IGNORE`): exactly one creates it. `passwordHash` is
    /// called only when the user seems absent (hashing is slow). Returns whether it was created.
    public func ensureFirstSuperuser(email: String, passwordHash: () throws -> String) throws -> Bool {
        if try user(email: email) != nil { return false }
        let hash = try passwordHash()
        let ms = Timestamp.ms(Date())
        return try write { db in
            try db.cachedStatement(sql: """
                    INSERT OR IGNORE INTO users (id, email, full_name, password_hash, is_active, is_superuser,
                                                 monthly_budget_pico, created_at, updated_at)
                    VALUES (?, ?, NULL, ?, 1, 1, NULL, ?, ?)
                    """).execute(arguments: [newId(), email, hash, ms, ms])
            return db.changesCount > 0
        }
    }
}
