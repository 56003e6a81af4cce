import CSQLite

/// SQLite copies bound text at bind time with this destructor value
/// (https://sqlite.org/c3ref/c_static.html): the Swift string's buffer
/// need not outlive the call.
let transientDestructor = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A value bound to, or read from, a statement column.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// A compiled statement. Bind parameters are always used: values never
/// become SQL text.
public final class Statement {
    private let handle: OpaquePointer
    private unowned let database: Database
    private let sql: String

    init(database: Database, sql: String) throws(DatabaseError) {
        var pointer: OpaquePointer?
        let code = sqlite3_prepare_v3(database.rawHandle, sql, -1,
                                      UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard code == SQLITE_OK, let pointer else {
            throw DatabaseError(resultCode: code, message: database.lastErrorMessage,
                                context: Database.summary(of: sql))
        }
        self.handle = pointer
        self.database = database
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds values to the parameters `?1`, `?2`, ... in order.
    @discardableResult
    public func bind(_ values: [SQLValue]) -> Statement {
        sqlite3_reset(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null: code = sqlite3_bind_null(handle, index)
            case .integer(let v): code = sqlite3_bind_int64(handle, index, v)
            case .real(let v): code = sqlite3_bind_double(handle, index, v)
            case .text(let v):
                // By length: a NUL inside the text is kept, not an end.
                var text = v
                code = text.withUTF8 { bytes in
                    // No pointer would bind NULL: empty text gets a literal.
                    guard let start = bytes.baseAddress else {
                        return sqlite3_bind_text(handle, index, "", 0, transientDestructor)
                    }
                    return sqlite3_bind_text(
                        handle, index, UnsafeRawPointer(start).assumingMemoryBound(to: CChar.self),
                        Int32(bytes.count), transientDestructor)
                }
            case .blob(let v):
                code = v.withUnsafeBytes {
                    sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count),
                                      transientDestructor)
                }
            }
            // A failed bind means a wrong index or type from our own code.
            precondition(code == SQLITE_OK, "bind \(index) failed for \(sql)")
        }
        return self
    }

    /// Runs a statement that returns no rows.
    public func run(_ values: [SQLValue] = []) throws(DatabaseError) {
        bind(values)
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE || code == SQLITE_ROW else { throw failure(code) }
        sqlite3_reset(handle)
    }

    /// Runs a query and calls `body` for each row.
    public func forEachRow(_ values: [SQLValue] = [],
                           _ body: (Row) throws -> Void) throws {
        bind(values)
        defer { sqlite3_reset(handle) }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw failure(code) }
            try body(Row(handle: handle))
        }
    }

    /// The rows of a query, each mapped by `transform`.
    public func rows<T>(_ values: [SQLValue] = [], _ transform: (Row) throws -> T) throws -> [T] {
        var result: [T] = []
        try forEachRow(values) { result.append(try transform($0)) }
        return result
    }

    /// The first row of a query, or nil.
    public func firstRow<T>(_ values: [SQLValue] = [], _ transform: (Row) throws -> T) throws -> T? {
        var result: T?
        bind(values)
        defer { sqlite3_reset(handle) }
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { result = try transform(Row(handle: handle)) }
        else if code != SQLITE_DONE { throw failure(code) }
        return result
    }

    private func failure(_ code: Int32) -> DatabaseError {
        let error = DatabaseError(resultCode: code, message: database.lastErrorMessage,
                                  context: Database.summary(of: sql))
        sqlite3_reset(handle)
        return error
    }
}

/// One result row; valid only inside the `forEachRow` callback.
public struct Row {
    fileprivate let handle: OpaquePointer

    public func isNull(_ column: Int) -> Bool {
        sqlite3_column_type(handle, Int32(column)) == SQLITE_NULL
    }

    public func int(_ column: Int) -> Int64 { sqlite3_column_int64(handle, Int32(column)) }
    public func double(_ column: Int) -> Double { sqlite3_column_double(handle, Int32(column)) }

    public func text(_ column: Int) -> String {
        // The text first, then its length in bytes (SQLite's order), so
        // that a NUL inside it is read as a character.
        guard let pointer = sqlite3_column_text(handle, Int32(column)) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, Int32(column)))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    public func optionalText(_ column: Int) -> String? { isNull(column) ? nil : text(column) }
    public func optionalInt(_ column: Int) -> Int64? { isNull(column) ? nil : int(column) }

    public func blob(_ column: Int) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, Int32(column)))
        guard count > 0, let pointer = sqlite3_column_blob(handle, Int32(column)) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}
