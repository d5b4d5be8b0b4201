import LLMDomain

/// Turns SQLite failures into `DomainError(.storage, ...)` with a message a user can act on.
/// The message never carries SQL arguments (they may hold encrypted keys or personal data).
enum StorageError {
    static func map(_ error: Error, path: String) -> Error {
        if error is DomainError { return error }
        guard let dbError = error as? DatabaseError else { return error }
        let detail = dbError.message.map { ": \($0)" } ?? ""
        switch dbError.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return DomainError(.storage, "The database \(path) stayed locked by another process for more than 5 s; try again")
        case .SQLITE_FULL:
            return DomainError(.storage, "The disk holding the database \(path) is full; free some space and try again")
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_AUTH:
            return DomainError(.storage, "The database \(path) cannot be written (read-only file or directory, or no permission)")
        case .SQLITE_CANTOPEN:
            return DomainError(.storage, "The database \(path) cannot be opened; check that its directory exists and is writable")
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return DomainError(.storage, "The file \(path) is not a valid llmrpc database or is damaged")
        case .SQLITE_CONSTRAINT:
            return DomainError(.badRequest, "The change breaks a rule of the database\(detail)")
        case .SQLITE_IOERR:
            return DomainError(.storage, "Input/output error on the database \(path)\(detail)")
        default:
            return DomainError(.storage, "Database error (\(dbError.resultCode))\(detail)")
        }
    }

    /// True for a UNIQUE or PRIMARY KEY violation.
    static func isUniqueViolation(_ error: Error) -> Bool {
        guard let e = error as? DatabaseError else { return false }
        return e.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
            || e.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
    }

    /// True for a FOREIGN KEY violation.
    static func isForeignKeyViolation(_ error: Error) -> Bool {
        (error as? DatabaseError)?.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY
    }
}
