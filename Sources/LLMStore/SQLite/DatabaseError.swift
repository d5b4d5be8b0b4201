import CSQLite

/// An SQLite result code (primary or extended), named as in SQLite's C API.
struct ResultCode: RawRepresentable, Equatable, Hashable, Sendable, CustomStringConvertible {
    let rawValue: Int32
    init(rawValue: Int32) { self.rawValue = rawValue }

    /// The primary code of an extended one (its low 8 bits).
    var primaryResultCode: ResultCode { ResultCode(rawValue: rawValue & 0xff) }

    var description: String {
        let name = String(cString: sqlite3_errstr(rawValue))
        return "SQLite error \(rawValue): \(name)"
    }

    static let SQLITE_OK = ResultCode(rawValue: CSQLite.SQLITE_OK)
    static let SQLITE_ERROR = ResultCode(rawValue: CSQLite.SQLITE_ERROR)
    static let SQLITE_PERM = ResultCode(rawValue: CSQLite.SQLITE_PERM)
    static let SQLITE_BUSY = ResultCode(rawValue: CSQLite.SQLITE_BUSY)
    static let SQLITE_LOCKED = ResultCode(rawValue: CSQLite.SQLITE_LOCKED)
    static let SQLITE_READONLY = ResultCode(rawValue: CSQLite.SQLITE_READONLY)
    static let SQLITE_IOERR = ResultCode(rawValue: CSQLite.SQLITE_IOERR)
    static let SQLITE_CORRUPT = ResultCode(rawValue: CSQLite.SQLITE_CORRUPT)
    static let SQLITE_FULL = ResultCode(rawValue: CSQLite.SQLITE_FULL)
    static let SQLITE_CANTOPEN = ResultCode(rawValue: CSQLite.SQLITE_CANTOPEN)
    static let SQLITE_CONSTRAINT = ResultCode(rawValue: CSQLite.SQLITE_CONSTRAINT)
    static let SQLITE_MISMATCH = ResultCode(rawValue: CSQLite.SQLITE_MISMATCH)
    static let SQLITE_AUTH = ResultCode(rawValue: CSQLite.SQLITE_AUTH)
    static let SQLITE_NOTADB = ResultCode(rawValue: CSQLite.SQLITE_NOTADB)
    static let SQLITE_CONSTRAINT_UNIQUE = ResultCode(rawValue: CSQLite.SQLITE_CONSTRAINT | (8 << 8))
    static let SQLITE_CONSTRAINT_PRIMARYKEY = ResultCode(rawValue: CSQLite.SQLITE_CONSTRAINT | (6 << 8))
    static let SQLITE_CONSTRAINT_FOREIGNKEY = ResultCode(rawValue: CSQLite.SQLITE_CONSTRAINT | (3 << 8))
}

/// A failure reported by SQLite. It keeps the result code and SQLite's message, never the
/// statement's arguments (they may hold encrypted keys or personal data).
struct DatabaseError: Error, CustomStringConvertible {
    /// The extended result code (connections are opened with extended codes on).
    let extendedResultCode: ResultCode
    /// SQLite's message, if any.
    let message: String?

    /// The primary result code (`SQLITE_CONSTRAINT` for every kind of constraint failure).
    var resultCode: ResultCode { extendedResultCode.primaryResultCode }

    /// `sql` and `arguments` are accepted for call sites that have them, and dropped.
    init(resultCode: ResultCode, message: String? = nil, sql: String? = nil, arguments: StatementArguments? = nil) {
        extendedResultCode = resultCode
        self.message = message
    }

    /// The error of the last failed call on `connection`.
    init(code: Int32, connection: OpaquePointer?) {
        let extended = connection.map { sqlite3_extended_errcode($0) } ?? code
        // The connection's last error is this one only if its primary code matches.
        let resolved = (extended & 0xff) == (code & 0xff) ? extended : code
        self.init(resultCode: ResultCode(rawValue: resolved),
                  message: connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) })
    }

    var description: String { "\(resultCode)" + (message.map { " - \($0)" } ?? "") }
}
