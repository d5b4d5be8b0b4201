import CSQLite

/// Process-wide SQLite settings, applied once before the first connection opens (the library
/// initialises then): memory statistics off, nothing here reads them.
let sqliteConfigured: Int32 = llm_sqlite_disable_memory_statistics()

/// One SQLite connection, used by one thread at a time (`DatabasePool` hands it out), with a
/// cache of prepared statements.
final class Database {
    /// The C handle (nil once closed).
    private(set) var sqliteConnection: OpaquePointer?
    private var statements: [SQLKey: Statement] = [:]
    /// How this connection waits for another's lock (`waitForLocks`); nil: it does not.
    private(set) var busyWait: BusyWait?

    /// Opens (with `SQLITE_OPEN_CREATE` when `create`) the file at `path`; extended result
    /// codes on. The handle is closed again if opening fails.
    init(path: String, create: Bool) throws {
        _ = sqliteConfigured
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let error = DatabaseError(code: rc, connection: handle)
            sqlite3_close(handle)
            throw error
        }
        sqlite3_extended_result_codes(handle, 1)
        sqliteConnection = handle
    }

    deinit { close() }

    /// Finalises the cached statements and closes the connection.
    func close() {
        guard let c = sqliteConnection else { return }
        for s in statements.values { s.finalize() }
        statements = [:]
        sqlite3_close_v2(c)
        sqliteConnection = nil
    }

    /// Waits up to `timeoutMs` for a lock another connection holds (`BusyWait`); 0: never.
    func waitForLocks(timeoutMs: Int) {
        busyWait = timeoutMs > 0 ? BusyWait(timeoutMs: timeoutMs) : nil
        installOwnLockWait()
    }

    /// Puts back the wait set with `waitForLocks` (or none).
    private func installOwnLockWait() {
        if let busyWait { busyWait.install(on: sqliteConnection) } else { BusyWait.uninstall(from: sqliteConnection) }
    }

    /// Runs `body` with a brief wait for locks only (`BriefLockWait`: tries again without
    /// sleeping for up to `micros`, 0: not at all), then a lock another connection holds fails
    /// with `SQLITE_BUSY`. The wait set with `waitForLocks` is back afterwards.
    func withBriefLockWait<T>(micros: Int, _ body: (BriefLockWait) throws -> T) rethrows -> T {
        let brief = BriefLockWait(micros: micros)
        brief.install(on: sqliteConnection)
        defer { installOwnLockWait() }
        return try withExtendedLifetime(brief) { try body(brief) }
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changesCount: Int { Int(sqlite3_changes(sqliteConnection)) }

    /// Whether a transaction is open.
    var isInsideTransaction: Bool { sqliteConnection.map { sqlite3_get_autocommit($0) == 0 } ?? false }

    /// The prepared statement for `sql`, prepared once per connection.
    func cachedStatement(sql: String) throws -> Statement {
        if let s = statements[SQLKey(sql)] { return s }
        let s = try makeStatement(sql: sql)
        statements[SQLKey(sql)] = s
        return s
    }

    /// A new prepared statement (one statement: text after it is an error).
    func makeStatement(sql: String) throws -> Statement {
        var stmt: OpaquePointer?
        var trailing = false
        let rc = sql.withCString { text -> Int32 in
            var tail: UnsafePointer<CChar>?
            let rc = sqlite3_prepare_v3(sqliteConnection, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, &tail)
            if let tail { trailing = !onlySpaceOrSemicolons(tail) }
            return rc
        }
        guard rc == SQLITE_OK, let stmt else { throw DatabaseError(code: rc, connection: sqliteConnection) }
        guard !trailing else {
            sqlite3_finalize(stmt)
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "more than one statement in one prepared statement")
        }
        return Statement(stmt, connection: self)
    }

    /// Runs every statement of `sql` in turn (the script of a migration, a pragma).
    func execute(sql: String) throws {
        try sql.withCString { start in
            var next: UnsafePointer<CChar>? = start
            while let current = next, current.pointee != 0 {
                var stmt: OpaquePointer?
                var tail: UnsafePointer<CChar>?
                let rc = sqlite3_prepare_v2(sqliteConnection, current, -1, &stmt, &tail)
                guard rc == SQLITE_OK else { throw DatabaseError(code: rc, connection: sqliteConnection) }
                next = tail
                guard let stmt else { continue }  // white space or a comment
                defer { sqlite3_finalize(stmt) }
                var step = sqlite3_step(stmt)
                while step == SQLITE_ROW { step = sqlite3_step(stmt) }
                guard step == SQLITE_DONE else { throw DatabaseError(code: step, connection: sqliteConnection) }
            }
        }
    }

    /// Runs one statement with arguments.
    func execute(sql: String, arguments: StatementArguments) throws {
        try withStatement(sql: sql) { try $0.execute(arguments: arguments) }
    }

    /// `body` with a statement prepared for this call only (not cached), finalised after.
    func withStatement<T>(sql: String, _ body: (Statement) throws -> T) throws -> T {
        let s = try makeStatement(sql: sql)
        defer { s.finalize() }
        return try body(s)
    }
}

extension ResultCode {
    static let SQLITE_MISUSE = ResultCode(rawValue: CSQLite.SQLITE_MISUSE)
}

/// Whether the C string holds nothing but white space and semicolons (what may follow the one
/// statement of a prepared statement).
private func onlySpaceOrSemicolons(_ p: UnsafePointer<CChar>) -> Bool {
    var q = p
    while q.pointee == 0x20 || q.pointee == 0x0a || q.pointee == 0x09 || q.pointee == 0x0d || q.pointee == 0x3b { q += 1 }
    return q.pointee == 0
}

/// A prepared statement of a `Database`.
final class Statement {
    let sqliteStatement: OpaquePointer
    private unowned let connection: Database
    private var finalized = false

    init(_ stmt: OpaquePointer, connection: Database) {
        sqliteStatement = stmt
        self.connection = connection
    }

    func finalize() {
        guard !finalized else { return }
        finalized = true
        sqlite3_finalize(sqliteStatement)
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Binds text with its byte length (text may hold NUL characters); SQLite copies it.
    static func bindText(_ stmt: OpaquePointer, _ index: Int32, _ text: String) -> Int32 {
        var text = text
        return text.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { chars in
                var empty: CChar = 0
                return sqlite3_bind_text(stmt, index, chars.baseAddress ?? withUnsafePointer(to: &empty) { $0 },
                                         Int32(chars.count), transient)
            }
        }
    }

    /// Resets the statement and binds `arguments` (their count must be the parameters').
    func bind(_ arguments: StatementArguments) throws {
        sqlite3_reset(sqliteStatement)
        sqlite3_clear_bindings(sqliteStatement)
        let count = Int(sqlite3_bind_parameter_count(sqliteStatement))
        guard arguments.values.count == count else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE,
                                message: "wrong number of statement arguments: \(arguments.values.count) for \(count) parameters")
        }
        for (i, value) in arguments.values.enumerated() {
            let index = Int32(i + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(sqliteStatement, index)
            case .integer(let x): rc = sqlite3_bind_int64(sqliteStatement, index, x)
            case .real(let x): rc = sqlite3_bind_double(sqliteStatement, index, x)
            case .text(let s):
                rc = Self.bindText(sqliteStatement, index, s)
            case .blob(let b):
                rc = b.withUnsafeBytes { raw in
                    var empty: UInt8 = 0
                    return sqlite3_bind_blob(sqliteStatement, index, raw.baseAddress ?? UnsafeRawPointer(withUnsafePointer(to: &empty) { $0 }),
                                             Int32(raw.count), Self.transient)
                }
            }
            guard rc == SQLITE_OK else { throw DatabaseError(code: rc, connection: connection.sqliteConnection) }
        }
    }

    /// One step: true for a row, false when done. On failure the statement is reset.
    func step() throws -> Bool {
        switch sqlite3_step(sqliteStatement) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code:
            let error = DatabaseError(code: code, connection: connection.sqliteConnection)
            sqlite3_reset(sqliteStatement)
            throw error
        }
    }

    /// Binds `arguments` and steps to the end.
    func execute(arguments: StatementArguments = []) throws {
        try bind(arguments)
        while try step() {}
        sqlite3_reset(sqliteStatement)
    }

    /// The rows for `arguments`, each made by `make` from the statement's current row.
    func rows<T>(_ arguments: StatementArguments, limit: Int = .max, _ make: (OpaquePointer) throws -> T) throws -> [T] {
        try bind(arguments)
        defer { sqlite3_reset(sqliteStatement) }
        var out: [T] = []
        while out.count < limit, try step() { out.append(try make(sqliteStatement)) }
        return out
    }

    /// The column names of the statement's rows.
    var columnNames: [String] {
        (0..<sqlite3_column_count(sqliteStatement)).map { String(cString: sqlite3_column_name(sqliteStatement, $0)) }
    }
}

/// The statement cache's key: the SQL text, hashed by its length and its first and last 16
/// bytes instead of all of it (a chat's statements are a few hundred bytes each and every
/// lookup hashed them whole: ~11 k instructions per logged request), compared whole.
struct SQLKey: Hashable {
    let sql: String

    init(_ sql: String) { self.sql = sql }

    func hash(into hasher: inout Hasher) {
        let utf8 = sql.utf8
        hasher.combine(utf8.count)
        let done = utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes.prefix(16))))
            hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes.suffix(16))))
            return true
        }
        if done == nil {
            for b in utf8.prefix(16) { hasher.combine(b) }
            for b in utf8.suffix(16) { hasher.combine(b) }
        }
    }

    static func == (a: SQLKey, b: SQLKey) -> Bool { a.sql == b.sql }
}
