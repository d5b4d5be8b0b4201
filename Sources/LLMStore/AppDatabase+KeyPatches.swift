import Foundation
import GRDB
import LLMDomain

extension AppDatabase {
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

    /// The times of `username`'s failed logins at or after `since` (oldest first).
    public func loginFailureTimes(username: String, since: Date) throws -> [Date] {
        try read { db in
            try Int64.fetchAll(db.cachedStatement(sql: "SELECT at FROM login_failures WHERE username = ? AND at >= ? ORDER BY at"),
                               arguments: [username, Timestamp.ms(since)]).map(Timestamp.date)
        }
    }
}
