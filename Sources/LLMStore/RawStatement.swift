import CSQLite

/// A cached prepared statement bound and stepped through SQLite's C API directly, for the
/// few statements every chat request runs (the usage row, its settlement, the conversation
/// and its messages). The connection prepares and caches the statement; binding values one by
/// one here avoids building `StatementArguments` of existentials and decoding rows by column
/// name, which were most of the cost of a request's two writes. Errors are `DatabaseError`,
/// so they map to the wire like every other storage error.
struct RawStatement {
    let stmt: OpaquePointer
    let connection: OpaquePointer?

    init(_ db: Database, _ sql: String) throws {
        stmt = try db.cachedStatement(sql: sql).sqliteStatement
        connection = db.sqliteConnection
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(stmt, index, value) } else { sqlite3_bind_null(stmt, index) }
    }

    func bind(_ index: Int32, _ value: Int?) { bind(index, value.map(Int64.init)) }

    func bind(_ index: Int32, _ value: Bool) { sqlite3_bind_int64(stmt, index, value ? 1 : 0) }

    func bind(_ index: Int32, _ value: String?) {
        guard var value else { sqlite3_bind_null(stmt, index); return }
        // With its byte length: text may hold NUL characters.
        value.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { chars in
                var empty: CChar = 0
                _ = sqlite3_bind_text(stmt, index, chars.baseAddress ?? withUnsafePointer(to: &empty) { $0 },
                                      Int32(chars.count), Self.transient)
            }
        }
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
    func step() throws -> Bool {
        switch sqlite3_step(stmt) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code:
            let error = DatabaseError(code: code, connection: connection)
            sqlite3_reset(stmt)
            throw error
        }
    }

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
