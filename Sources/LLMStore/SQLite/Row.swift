import CSQLite

/// A row read from a statement: its column names and values, copied.
struct Row {
    let columns: [String]
    let values: [DatabaseValue]

    init(_ stmt: OpaquePointer, columns: [String]) {
        self.columns = columns
        values = (0..<Int32(columns.count)).map { DatabaseValue(stmt, column: $0) }
    }

    /// The value of the column named `name` (compared case-insensitively), `.null` if absent.
    func value(named name: String) -> DatabaseValue {
        if let i = columns.firstIndex(of: name) { return values[i] }
        let lower = name.lowercased()
        if let i = columns.firstIndex(where: { $0.lowercased() == lower }) { return values[i] }
        return .null
    }

    /// The column's value, nil when NULL or of another type.
    subscript<T: DatabaseValueConvertible>(_ name: String) -> T? {
        T.fromDatabaseValue(value(named: name))
    }

    /// The column's value; a NULL or a value of another type is a programming error (the
    /// schema's NOT NULL and STRICT types rule it out).
    subscript<T: DatabaseValueConvertible>(_ name: String) -> T {
        guard let v = T.fromDatabaseValue(value(named: name)) else {
            fatalError("column \(name) is NULL or not a \(T.self)")
        }
        return v
    }

    subscript<T: DatabaseValueConvertible>(_ index: Int) -> T? {
        T.fromDatabaseValue(values[index])
    }

    subscript<T: DatabaseValueConvertible>(_ index: Int) -> T {
        guard let v = T.fromDatabaseValue(values[index]) else {
            fatalError("column \(index) is NULL or not a \(T.self)")
        }
        return v
    }

    static func fetchAll(_ statement: Statement, arguments: StatementArguments = []) throws -> [Row] {
        let columns = statement.columnNames
        return try statement.rows(arguments) { Row($0, columns: columns) }
    }

    static func fetchOne(_ statement: Statement, arguments: StatementArguments = []) throws -> Row? {
        let columns = statement.columnNames
        return try statement.rows(arguments, limit: 1) { Row($0, columns: columns) }.first
    }

    static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [Row] {
        try db.withStatement(sql: sql) { try fetchAll($0, arguments: arguments) }
    }

    static func fetchOne(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> Row? {
        try db.withStatement(sql: sql) { try fetchOne($0, arguments: arguments) }
    }
}

extension DatabaseValueConvertible {
    /// The first column of every row; a NULL or a value of another type is an error.
    static func fetchAll(_ statement: Statement, arguments: StatementArguments = []) throws -> [Self] {
        try statement.rows(arguments) { stmt in
            guard let v = Self.fromDatabaseValue(DatabaseValue(stmt, column: 0)) else {
                throw DatabaseError(resultCode: .SQLITE_MISMATCH, message: "a value is NULL or not a \(Self.self)")
            }
            return v
        }
    }

    /// The first column of the first row; nil when there is no row or the value is NULL.
    static func fetchOne(_ statement: Statement, arguments: StatementArguments = []) throws -> Self? {
        try statement.rows(arguments, limit: 1) { Self.fromDatabaseValue(DatabaseValue($0, column: 0)) }.first ?? nil
    }

    static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [Self] {
        try db.withStatement(sql: sql) { try fetchAll($0, arguments: arguments) }
    }

    static func fetchOne(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> Self? {
        try db.withStatement(sql: sql) { try fetchOne($0, arguments: arguments) }
    }
}
