import CSQLite
import FoundationEssentials

/// A value as SQLite stores it.
enum DatabaseValue: Equatable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    /// The value of column `column` of the statement's current row.
    init(_ stmt: OpaquePointer, column: Int32) {
        switch sqlite3_column_type(stmt, column) {
        case SQLITE_INTEGER: self = .integer(sqlite3_column_int64(stmt, column))
        case SQLITE_FLOAT: self = .real(sqlite3_column_double(stmt, column))
        case SQLITE_TEXT:
            let n = Int(sqlite3_column_bytes(stmt, column))
            if let p = sqlite3_column_text(stmt, column) {
                self = .text(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self))
            } else {
                self = .text("")
            }
        case SQLITE_BLOB:
            let n = Int(sqlite3_column_bytes(stmt, column))
            if let p = sqlite3_column_blob(stmt, column) {
                self = .blob(Array(UnsafeRawBufferPointer(start: p, count: n)))
            } else {
                self = .blob([])
            }
        default: self = .null
        }
    }
}

/// A Swift type stored in and read from SQLite columns.
protocol DatabaseValueConvertible {
    var databaseValue: DatabaseValue { get }
    /// nil when the stored value has another type (or is NULL).
    static func fromDatabaseValue(_ value: DatabaseValue) -> Self?
}

extension Int64: DatabaseValueConvertible {
    var databaseValue: DatabaseValue { .integer(self) }
    static func fromDatabaseValue(_ value: DatabaseValue) -> Int64? {
        switch value {
        case .integer(let i): return i
        case .real(let d): return Int64(exactly: d)
        default: return nil
        }
    }
}

extension Int: DatabaseValueConvertible {
    var databaseValue: DatabaseValue { .integer(Int64(self)) }
    static func fromDatabaseValue(_ value: DatabaseValue) -> Int? { Int64.fromDatabaseValue(value).flatMap { Int(exactly: $0) } }
}

extension Int32: DatabaseValueConvertible {
    var databaseValue: DatabaseValue { .integer(Int64(self)) }
    static func fromDatabaseValue(_ value: DatabaseValue) -> Int32? { Int64.fromDatabaseValue(value).flatMap { Int32(exactly: $0) } }
}

extension Bool: DatabaseValueConvertible {
    var databaseValue: DatabaseValue { .integer(self ? 1 : 0) }
    static func fromDatabaseValue(_ value: DatabaseValue) -> Bool? { Int64.fromDatabaseValue(value).map { $0 != 0 } }
}

extension Double: DatabaseValueConvertible {
    var databaseValue: DatabaseValue { .real(self) }
    static func fromDatabaseValue(_ value: DatabaseValue) -> Double? {
        switch value {
        case .real(let d): return d
        case .integer(let i): return Double(i)
        default: return nil
        }
    }
}

extension String: DatabaseValueConvertible {
    var databaseValue: DatabaseValue { .text(self) }
    static func fromDatabaseValue(_ value: DatabaseValue) -> String? {
        if case .text(let s) = value { return s }
        return nil
    }
}

extension Data: DatabaseValueConvertible {
    var databaseValue: DatabaseValue { .blob(Array(self)) }
    static func fromDatabaseValue(_ value: DatabaseValue) -> Data? {
        switch value {
        case .blob(let b): return Data(b)
        case .text(let s): return Data(s.utf8)
        default: return nil
        }
    }
}

/// The values bound to a statement's `?` parameters, in order.
struct StatementArguments: ExpressibleByArrayLiteral {
    var values: [DatabaseValue]

    init(arrayLiteral elements: (any DatabaseValueConvertible)?...) {
        values = elements.map { $0?.databaseValue ?? .null }
    }

    init<S: Sequence>(_ sequence: S) where S.Element == (any DatabaseValueConvertible)? {
        values = sequence.map { $0?.databaseValue ?? .null }
    }

    init<T: DatabaseValueConvertible>(_ array: [T?]) {
        values = array.map { $0?.databaseValue ?? .null }
    }

    static func += (lhs: inout StatementArguments, rhs: StatementArguments) {
        lhs.values += rhs.values
    }
}
