import CSQLite
import Foundation

/// A thin, typed wrapper over one libsqlite3 connection.
///
/// Statements are prepared once and cached by SQL text; every failure becomes a `StoreError`
/// carrying the database path and the statement.
public final class Database {
    public let path: String
    let handle: OpaquePointer
    private var cache: [String: Statement] = [:]

    public init(path: String, readOnly: Bool = false) throws {
        self.path = path
        var db: OpaquePointer?
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw StoreError.cannotOpen(path: path, message: message)
        }
        handle = db
        sqlite3_busy_timeout(db, 5000)
    }

    deinit {
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &error) != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? lastMessage
            sqlite3_free(error)
            throw failure(sql, message)
        }
    }

    /// A prepared statement, cached by its SQL text.
    public func statement(_ sql: String) throws -> Statement {
        if let s = cache[sql] {
            s.reset()
            return s
        }
        var raw: OpaquePointer?
        guard sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil) == SQLITE_OK, let raw else {
            throw failure(sql, lastMessage)
        }
        let s = Statement(raw, database: self, sql: sql)
        cache[sql] = s
        return s
    }

    /// Runs `body` in one transaction: committed if it returns, rolled back if it throws.
    /// `immediate` takes the write lock at once (a writer); otherwise the transaction only reads, from one
    /// consistent snapshot.
    public func transaction<T>(immediate: Bool = true, _ body: () throws -> T) throws -> T {
        try execute(immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// True inside `transaction { }`.
    public var inTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    public var changes: Int { Int(sqlite3_changes(handle)) }

    public func scalarInt(_ sql: String, _ values: [SQLValue] = []) throws -> Int64? {
        let s = try statement(sql)
        defer { s.reset() }  // an unfinished statement would hold a read transaction open
        try s.bind(values)
        return try s.step() ? (s.isNull(0) ? nil : s.int(0)) : nil
    }

    public func scalarText(_ sql: String, _ values: [SQLValue] = []) throws -> String? {
        let s = try statement(sql)
        defer { s.reset() }
        try s.bind(values)
        return try s.step() ? s.text(0) : nil
    }

    /// Runs a statement with values and no result rows.
    public func run(_ sql: String, _ values: [SQLValue] = []) throws {
        let s = try statement(sql)
        defer { s.reset() }
        try s.bind(values)
        while try s.step() {}
    }

    var lastMessage: String { String(cString: sqlite3_errmsg(handle)) }
    var lastCode: Int32 { sqlite3_errcode(handle) & 0xFF }

    func failure(_ sql: String, _ message: String) -> StoreError {
        switch lastCode {
        case SQLITE_NOTADB: return .notAnIndex(path: path)
        case SQLITE_CORRUPT: return .corrupt(path: path, message: message)
        default: return .sql(path: path, sql: sql, message: message)
        }
    }
}

/// A value bound to a statement parameter.
public enum SQLValue {
    case int(Int64)
    case double(Double)
    case text(String)
    case blob(Data)
    case null
}

/// One prepared statement. Bind values, `step()` through rows, read columns.
public final class Statement {
    let raw: OpaquePointer
    unowned let database: Database
    let sql: String

    init(_ raw: OpaquePointer, database: Database, sql: String) {
        self.raw = raw
        self.database = database
        self.sql = sql
    }

    deinit { sqlite3_finalize(raw) }

    public func reset() {
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
    }

    public func bind(_ values: [SQLValue]) throws {
        for (i, v) in values.enumerated() {
            let index = Int32(i + 1)
            let rc: Int32
            switch v {
            case .int(let x): rc = sqlite3_bind_int64(raw, index, x)
            case .double(let x): rc = sqlite3_bind_double(raw, index, x)
            case .text(let x): rc = sqlite3_bind_text(raw, index, x, -1, engram_sqlite_transient())
            case .blob(let x):
                rc = x.withUnsafeBytes { sqlite3_bind_blob(raw, index, $0.baseAddress, Int32($0.count), engram_sqlite_transient()) }
            case .null: rc = sqlite3_bind_null(raw, index)
            }
            if rc != SQLITE_OK { throw database.failure(sql, database.lastMessage) }
        }
    }

    /// Advances to the next row; false when done.
    public func step() throws -> Bool {
        switch sqlite3_step(raw) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw database.failure(sql, database.lastMessage)
        }
    }

    public func int(_ column: Int32) -> Int64 { sqlite3_column_int64(raw, column) }
    public func double(_ column: Int32) -> Double { sqlite3_column_double(raw, column) }
    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(raw, column) == SQLITE_NULL }
    public func text(_ column: Int32) -> String {
        guard let p = sqlite3_column_text(raw, column) else { return "" }
        return String(cString: p)
    }
    /// A TEXT column's UTF-8 bytes, valid inside `body` only.
    public func withTextBytes<T>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let p = sqlite3_column_text(raw, column)
        let count = Int(sqlite3_column_bytes(raw, column))
        return try body(UnsafeRawBufferPointer(start: p, count: p == nil ? 0 : count))
    }
    /// Copies a BLOB column's bytes into `body`'s buffer without an intermediate `Data`.
    public func withBlob<T>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let count = Int(sqlite3_column_bytes(raw, column))
        guard let p = sqlite3_column_blob(raw, column) else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: p, count: count))
    }
}
