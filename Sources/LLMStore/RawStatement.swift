import CSQLite

/// A cached prepared statement bound and stepped through SQLite's C API directly, for the
/// few statements every chat request runs (the usage row, its settlement, the conversation
/// and its messages). The connection prepares and caches the statement; binding values one by
/// one here avoids building `StatementArguments` of existentials and decoding rows by column
/// name, which were most of the cost of a request's two writes. Errors are `DatabaseError`,
/// so they map to the wire like every other storage error.
struct RawStatement {
    let statement: Statement
    var stmt: OpaquePointer { statement.sqliteStatement }

    init(_ db: Database, _ sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        sqlite3_reset(statement.sqliteStatement)
        sqlite3_clear_bindings(statement.sqliteStatement)
    }

    func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(stmt, index, value) } else { sqlite3_bind_null(stmt, index) }
    }

    func bind(_ index: Int32, _ value: Int?) { bind(index, value.map(Int64.init)) }

    func bind(_ index: Int32, _ value: Bool) { sqlite3_bind_int64(stmt, index, value ? 1 : 0) }

    func bind(_ index: Int32, _ value: String?) {
        if let value { _ = Statement.bindText(stmt, index, value) } else { sqlite3_bind_null(stmt, index) }
    }

    /// Binds every value in order from parameter 1.
    func bindAll(_ values: [RawValue]) {
        for (i, v) in values.enumerated() {
            let index = Int32(i + 1)
            switch v {
            case .int(let x): bind(index, x)
            case .text(let x): bind(index, x)
            }
        }
    }

    /// One step: true for a row, false when done.
    @discardableResult
    func step() throws -> Bool { try statement.step() }

    /// Steps to the end (a statement without rows, or whose rows are not needed).
    func run() throws {
        while try step() {}
        sqlite3_reset(stmt)
    }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(stmt, column) }

    func text(_ column: Int32) -> String? {
        guard let p = sqlite3_column_text(stmt, column) else { return nil }
        let n = Int(sqlite3_column_bytes(stmt, column))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(stmt, column) == SQLITE_NULL }

    /// Releases the statement's read of the current row (after the last column read).
    func finish() { sqlite3_reset(stmt) }
}

/// A value to bind: integers (and booleans, and NULL) or text.
enum RawValue {
    case int(Int64?)
    case text(String?)

    static func bool(_ b: Bool) -> RawValue { .int(b ? 1 : 0) }
    static func int(_ i: Int?) -> RawValue { .int(i.map(Int64.init)) }
}
