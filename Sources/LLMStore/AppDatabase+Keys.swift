import FoundationEssentials
import LLMDomain

/// A provider API key as stored: encrypted by the caller (LLMCrypto); the store never sees
/// the plain key.
public struct StoredKey: Sendable, Equatable {
    public var ciphertext: [UInt8]
    public var nonce: [UInt8]
    /// Which master key encrypted it (for key rotation).
    public var masterKeyId: String
    public var updatedAt: Date

    public init(ciphertext: [UInt8], nonce: [UInt8], masterKeyId: String, updatedAt: Date) {
        self.ciphertext = ciphertext
        self.nonce = nonce
        self.masterKeyId = masterKeyId
        self.updatedAt = updatedAt
    }

    init(row: Row) {
        ciphertext = Array(row["ciphertext"] as Data)
        nonce = Array(row["nonce"] as Data)
        masterKeyId = row["master_key_id"]
        updatedAt = Timestamp.date(row["updated_at"])
    }
}

extension AppDatabase {
    // MARK: User keys

    /// Sets (or replaces) a user's key for one provider. Unknown user → `DomainError(.userNotFound)`.
    public func setUserKey(userId: String, provider: Provider, ciphertext: [UInt8], nonce: [UInt8],
                           masterKeyId: String) throws {
        try updateUserKeys(userId: userId, changes: [provider: (ciphertext, nonce)], masterKeyId: masterKeyId)
    }

    /// Deletes a user's key for one provider, or all of them when `provider` is nil.
    /// Deleting a key that is not there does nothing.
    public func deleteUserKey(userId: String, provider: Provider?) throws {
        try write { db in
            if let provider {
                try db.cachedStatement(sql: "DELETE FROM user_api_keys WHERE user_id = ? AND provider = ?").execute(arguments: [userId, provider.rawValue])
            } else {
                try db.cachedStatement(sql: "DELETE FROM user_api_keys WHERE user_id = ?").execute(arguments: [userId])
            }
        }
    }

    /// A user's stored keys, by provider.
    public func userKeys(userId: String) throws -> [Provider: StoredKey] {
        try read { db in
            try keysByProvider(Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM user_api_keys WHERE user_id = ?"),
                                            arguments: [userId]))
        }
    }

    /// The stored keys a chat request for `provider` may use: the user's own and the system's.
    public func keys(userId: String, provider: Provider) throws -> (user: StoredKey?, system: StoredKey?) {
        try read { db in try fetchKeys(db, userId: userId, provider: provider) }
    }

    func fetchKeys(_ db: Database, userId: String, provider: Provider) throws -> (user: StoredKey?, system: StoredKey?) {
        let user = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM user_api_keys WHERE user_id = ? AND provider = ?"),
            arguments: [userId, provider.rawValue]).map(StoredKey.init(row:))
        let system = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM system_api_keys WHERE provider = ?"),
            arguments: [provider.rawValue]).map(StoredKey.init(row:))
        return (user, system)
    }

    // MARK: System keys

    /// Sets (or replaces) the system-wide fallback key for one provider.
    public func setSystemKey(provider: Provider, ciphertext: [UInt8], nonce: [UInt8], masterKeyId: String) throws {
        try updateSystemKeys(changes: [provider: (ciphertext, nonce)], masterKeyId: masterKeyId)
    }

    /// Deletes the system key of one provider, or all of them when `provider` is nil.
    public func deleteSystemKey(provider: Provider?) throws {
        try write { db in
            if let provider {
                try db.cachedStatement(sql: "DELETE FROM system_api_keys WHERE provider = ?").execute(arguments: [provider.rawValue])
            } else {
                try db.cachedStatement(sql: "DELETE FROM system_api_keys").execute()
            }
        }
    }

    /// The stored system keys, by provider.
    public func systemKeys() throws -> [Provider: StoredKey] {
        try read { db in
            try keysByProvider(Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM system_api_keys")))
        }
    }

    // MARK: Rotation

    /// Re-encrypts every stored key (user and system) in ONE transaction. `transform` gets
    /// (owner: `"user:<id>"` or `"system"`, provider, ciphertext, nonce) and returns the new
    /// (ciphertext, nonce), which is stored with `newMasterKeyId`. If `transform` throws,
    /// nothing changes and the error is rethrown. Returns the number of keys re-encrypted.
    public func reencryptAllKeys(
        newMasterKeyId: String,
        _ transform: (String, Provider, [UInt8], [UInt8]) throws -> ([UInt8], [UInt8])
    ) throws -> Int {
        try write { db in
            let now = Timestamp.ms(Date())
            var count = 0
            let userRows = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM user_api_keys ORDER BY user_id, provider"))
            for row in userRows {
                let userId: String = row["user_id"]
                let provider = try decodeProvider(row["provider"])
                let key = StoredKey(row: row)
                let (ciphertext, nonce) = try transform("user:\(userId)", provider, key.ciphertext, key.nonce)
                try db.cachedStatement(sql: """
                        UPDATE user_api_keys SET ciphertext = ?, nonce = ?, master_key_id = ?, updated_at = ?
                        WHERE user_id = ? AND provider = ?
                        """).execute(arguments: [Data(ciphertext), Data(nonce), newMasterKeyId, now, userId, provider.rawValue])
                count += 1
            }
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM system_api_keys ORDER BY provider")) {
                let provider = try decodeProvider(row["provider"])
                let key = StoredKey(row: row)
                let (ciphertext, nonce) = try transform("system", provider, key.ciphertext, key.nonce)
                try db.cachedStatement(sql: """
                        UPDATE system_api_keys SET ciphertext = ?, nonce = ?, master_key_id = ?, updated_at = ?
                        WHERE provider = ?
                        """).execute(arguments: [Data(ciphertext), Data(nonce), newMasterKeyId, now, provider.rawValue])
                count += 1
            }
            return count
        }
    }

    private func keysByProvider(_ rows: [Row]) throws -> [Provider: StoredKey] {
        var keys: [Provider: StoredKey] = [:]
        for row in rows {
            keys[try decodeProvider(row["provider"])] = StoredKey(row: row)
        }
        return keys
    }
}

/// A provider name read from the database (the schema's CHECK makes a bad one impossible).
func decodeProvider(_ raw: String) throws -> Provider {
    guard let provider = Provider(rawValue: raw) else {
        throw DomainError(.storage, "Unknown provider '\(raw)' in the database")
    }
    return provider
}

extension AppDatabase {
    // MARK: PATCH of several keys in one transaction

    /// Applies a PATCH of a user's keys in one transaction: a sealed key sets, nil removes.
    public func updateUserKeys(userId: String, changes: [Provider: (ciphertext: [UInt8], nonce: [UInt8])?],
                               masterKeyId: String) throws {
        try write { db in
            let now = Timestamp.ms(Date())
            for (provider, sealed) in changes.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                if let sealed {
                    do {
                        try db.cachedStatement(sql: """
                                INSERT INTO user_api_keys (user_id, provider, ciphertext, nonce, master_key_id, updated_at)
                                VALUES (?, ?, ?, ?, ?, ?)
                                ON CONFLICT (user_id, provider) DO UPDATE SET
                                    ciphertext = excluded.ciphertext, nonce = excluded.nonce,
                                    master_key_id = excluded.master_key_id, updated_at = excluded.updated_at
                                """).execute(arguments: [userId, provider.rawValue, Data(sealed.ciphertext), Data(sealed.nonce),
                                        masterKeyId, now])
                    } catch where StorageError.isForeignKeyViolation(error) {
                        throw DomainError(.userNotFound, "User not found")
                    }
                } else {
                    try db.cachedStatement(sql: "DELETE FROM user_api_keys WHERE user_id = ? AND provider = ?").execute(arguments: [userId, provider.rawValue])
                }
            }
        }
    }

    /// Applies a PATCH of the database system keys in one transaction.
    public func updateSystemKeys(changes: [Provider: (ciphertext: [UInt8], nonce: [UInt8])?], masterKeyId: String) throws {
        try write { db in
            let now = Timestamp.ms(Date())
            for (provider, sealed) in changes.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                if let sealed {
                    try db.cachedStatement(sql: """
                            INSERT INTO system_api_keys (provider, ciphertext, nonce, master_key_id, updated_at)
                            VALUES (?, ?, ?, ?, ?)
                            ON CONFLICT (provider) DO UPDATE SET
                                ciphertext = excluded.ciphertext, nonce = excluded.nonce,
                                master_key_id = excluded.master_key_id, updated_at = excluded.updated_at
                            """).execute(arguments: [provider.rawValue, Data(sealed.ciphertext), Data(sealed.nonce), masterKeyId, now])
                } else {
                    try db.cachedStatement(sql: "DELETE FROM system_api_keys WHERE provider = ?").execute(arguments: [provider.rawValue])
                }
            }
        }
    }

    /// The master key ids that stored keys are encrypted under (to finish an interrupted rotation).
    public func storedMasterKeyIds() throws -> Set<String> {
        try read { db in
            Set(try String.fetchAll(db.cachedStatement(sql: """
                SELECT master_key_id FROM user_api_keys UNION SELECT master_key_id FROM system_api_keys
                """)))
        }
    }
}
