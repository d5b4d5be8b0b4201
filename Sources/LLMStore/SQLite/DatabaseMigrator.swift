/// Schema migrations, applied in order, each once. Applied migrations are listed in the
/// `grdb_migrations` table (the name GRDB's migrator, used before, gave it: databases made by
/// earlier versions keep their history).
struct DatabaseMigrator {
    private var migrations: [(id: String, migrate: (Database) throws -> Void)] = []

    /// The registered migrations' names, in order.
    var identifiers: [String] { migrations.map(\.id) }

    mutating func registerMigration(_ id: String, migrate: @escaping (Database) throws -> Void) {
        precondition(!migrations.contains { $0.id == id }, "migration \(id) registered twice")
        migrations.append((id, migrate))
    }

    /// Applies every pending migration.
    func migrate(_ pool: DatabasePool) throws {
        try migrate(pool, upTo: migrations.last?.id ?? "")
    }

    /// Applies the pending migrations up to and including `target`, all in one IMMEDIATE
    /// transaction: processes starting at once apply them once, one after the other. Foreign
    /// keys are off meanwhile (a migration may rebuild a table) and checked before the commit.
    func migrate(_ pool: DatabasePool, upTo target: String) throws {
        guard let end = migrations.firstIndex(where: { $0.id == target }) else {
            if migrations.isEmpty { return }
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "unknown migration \(target)")
        }
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            defer { try? db.execute(sql: "PRAGMA foreign_keys = ON") }
            try DatabasePool.inTransaction(db, "BEGIN IMMEDIATE") { db in
                try db.execute(sql: "CREATE TABLE IF NOT EXISTS grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
                let applied = Set(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"))
                for migration in migrations[...end] where !applied.contains(migration.id) {
                    try migration.migrate(db)
                    if try Row.fetchOne(db, sql: "PRAGMA foreign_key_check") != nil {
                        throw DatabaseError(resultCode: .SQLITE_CONSTRAINT_FOREIGNKEY,
                                            message: "migration \(migration.id) leaves a broken foreign key")
                    }
                    try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [migration.id])
                }
            }
        }
    }
}
