import CSQLite
import Foundation

/// A failure reported by SQLite, with what was being done.
///
/// Errors from the world (a full disk, a locked or corrupt file) are
/// thrown; misuse by our own code (a bad bind index) traps instead.
public struct DatabaseError: Error, Sendable, CustomStringConvertible {
    /// SQLite's primary result code (SQLITE_BUSY, SQLITE_FULL, ...).
    public let resultCode: Int32
    public let message: String
    /// The statement or operation that failed, without bound values
    /// (they may be personal data).
    public let context: String

    public var description: String {
        "database error: \(message) (code \(resultCode), while running \(context))"
    }
}

/// One connection to a SQLite database file.
///
/// A connection is not thread-safe: it lives on one executor at a time
/// (the ingest loop, or the store's serial queue). `@unchecked Sendable`
/// lets it be handed between them; `SQLITE_OPEN_FULLMUTEX` makes a
/// mistaken concurrent use serialise instead of corrupting memory.
public final class Database: @unchecked Sendable {
    private let handle: OpaquePointer
    public let path: String
    private var statementCache: [String: Statement] = [:]
    /// Kept alive here: SQLite holds only an unretained pointer to it.
    private var commitHook: CommitHook?

    /// Opens (and creates when missing) the database at `path`.
    ///
    /// A new (or empty) file is made readable and writable by its owner
    /// only: the store holds raw events and personal data (SPEC §8).
    public init(path: String, readOnly: Bool = false) throws(DatabaseError) {
        _ = Self.libraryConfiguration
        self.path = path
        let flags = readOnly
            ? SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX
            : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        // An empty file (`touch store.db`, a path made ready for it) is
        // made a store as a missing one is: readable by its owner only,
        // where it kept the mode it was made with (0644).
        // Not a device or a pipe named as the store (`/dev/null`).
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let existed = attributes.map {
            $0[.type] as? FileAttributeType != .typeRegular
                || ($0[.size] as? NSNumber)?.intValue ?? 0 > 0
        } ?? false
        let previousMask = umask(0o077)
        defer { umask(previousMask) }
        var pointer: OpaquePointer?
        let code = sqlite3_open_v2(path, &pointer, flags, nil)
        guard let pointer else {
            throw DatabaseError(resultCode: code, message: "out of memory", context: "open")
        }
        guard code == SQLITE_OK else {
            let message = String(cString: sqlite3_errmsg(pointer))
            sqlite3_close_v2(pointer)
            throw DatabaseError(resultCode: code, message: message, context: "open '\(path)'")
        }
        handle = pointer
        if !existed && !readOnly && path != ":memory:" {
            chmod(path, 0o600)
        }
        sqlite3_extended_result_codes(handle, 1)
        // A second process (the server beside an ingest) waits for the
        // write lock instead of failing at once.
        sqlite3_busy_timeout(handle, 10_000)
    }

    deinit {
        statementCache.removeAll()
        if commitHook != nil { sqlite3_wal_hook(handle, nil, nil) }
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that take no parameters (schema, pragmas).
    public func execute(_ sql: String) throws(DatabaseError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if code != SQLITE_OK {
            let message = errorMessage.map { withSystemReason(String(cString: $0)) }
                ?? lastErrorMessage
            sqlite3_free(errorMessage)
            throw DatabaseError(resultCode: code, message: message,
                                context: Self.summary(of: sql))
        }
    }

    /// A prepared statement, compiled once per connection and reused.
    public func statement(_ sql: String) throws(DatabaseError) -> Statement {
        if let cached = statementCache[sql] {
            cached.reset()
            return cached
        }
        let statement = try Statement(database: self, sql: sql)
        statementCache[sql] = statement
        return statement
    }

    /// Runs `body` inside one transaction: committed when it returns,
    /// rolled back when it throws, so the store is never half-written.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Copies the committed pages of the write-ahead log into the database
    /// file as far as it can without waiting for anyone (a passive
    /// checkpoint: a reader still on an older snapshot stops it short).
    /// Returns the frames in the log and how many of them the file now
    /// holds; SQLITE_BUSY (another checkpoint running) is an answer, not an
    /// error: nothing is lost, the pages stay in the log.
    @discardableResult
    public func checkpointPassively() throws(DatabaseError)
        -> (logFrames: Int, copiedFrames: Int, wasBusy: Bool) {
        var logFrames: Int32 = 0
        var copiedFrames: Int32 = 0
        let code = sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE,
                                             &logFrames, &copiedFrames)
        guard code == SQLITE_OK || code & 0xFF == SQLITE_BUSY else {
            throw DatabaseError(resultCode: code, message: lastErrorMessage, context: "checkpoint")
        }
        return (Int(logFrames), Int(copiedFrames), code != SQLITE_OK)
    }

    /// Calls `hook` after each commit of this connection with the number of
    /// frames the write-ahead log then holds, in place of SQLite's own
    /// automatic checkpoint (which copies the log on the committing
    /// thread, syncing the file while the commit waits).
    public func onCommit(walFrames hook: @escaping (Int) -> Void) {
        let box = CommitHook(hook)
        commitHook = box
        sqlite3_wal_hook(handle, { context, _, _, frames in
            guard let context else { return SQLITE_OK }
            Unmanaged<CommitHook>.fromOpaque(context).takeUnretainedValue().call(Int(frames))
            return SQLITE_OK
        }, Unmanaged.passUnretained(box).toOpaque())
    }

    /// Makes `name(text)` callable from this connection's SQL: text in,
    /// `transform` of it out, NULL for NULL. Declared deterministic and
    /// innocuous (no side effect), so SQLite may evaluate it once per row.
    public func defineTextFunction(_ name: String,
                                   _ transform: @escaping (String) -> String) throws(DatabaseError) {
        let box = TextFunction(transform)
        let code = sqlite3_create_function_v2(
            handle, name, 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
            Unmanaged.passRetained(box).toOpaque(),
            { context, _, arguments in
                guard let context, let function = sqlite3_user_data(context) else { return }
                guard let value = arguments?[0], sqlite3_value_type(value) != SQLITE_NULL,
                      let text = sqlite3_value_text(value) else {
                    sqlite3_result_null(context)
                    return
                }
                let length = Int(sqlite3_value_bytes(value))
                let input = String(decoding: UnsafeBufferPointer(start: text, count: length),
                                   as: UTF8.self)
                let output = Unmanaged<TextFunction>.fromOpaque(function).takeUnretainedValue()
                    .transform(input)
                // By length: a name may hold a NUL, which would end a C string.
                Array(output.utf8).withUnsafeBytes { bytes in
                    guard let start = bytes.baseAddress?.assumingMemoryBound(to: CChar.self) else {
                        return sqlite3_result_text(context, "", 0, transientDestructor)
                    }
                    sqlite3_result_text(context, start, Int32(bytes.count), transientDestructor)
                }
            },
            nil, nil,
            { function in
                if let function { Unmanaged<TextFunction>.fromOpaque(function).release() }
            })
        guard code == SQLITE_OK else {
            throw DatabaseError(resultCode: code, message: lastErrorMessage,
                                context: "define the SQL function \(name)")
        }
    }

    public var changes: Int { Int(sqlite3_changes(handle)) }
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// SQLite's message, with the system's reason when a file operation
    /// failed: "disk I/O error" alone did not say that the file had hit
    /// the size limit (`ulimit -f`) or that the disk was full.
    var lastErrorMessage: String { withSystemReason(String(cString: sqlite3_errmsg(handle))) }

    private func withSystemReason(_ message: String) -> String {
        let primary = sqlite3_errcode(handle) & 0xFF
        guard [SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN].contains(primary) else { return message }
        let systemError = sqlite3_system_errno(handle)
        if systemError != 0 { return message + ": " + String(cString: strerror(systemError)) }
        // SQLite keeps no system error for a failed write of a commit:
        // the two usual causes are looked at here.
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max {
            let size = limit.rlim_cur < 10 * 1_048_576 ? "\(limit.rlim_cur / 1024) KB"
                : "\(limit.rlim_cur / 1_048_576) MB"
            return message + " (this process may write files of at most \(size): the shell's "
                + "file-size limit, ulimit -f; the store '\(path)' and its write-ahead log "
                + "'\(path)-wal' must grow past it)"
        }
        var disk = statvfs()
        let folder = (path as NSString).deletingLastPathComponent
        if statvfs(folder.isEmpty ? "." : folder, &disk) == 0 {
            let free = UInt64(disk.f_bavail) * UInt64(disk.f_frsize)
            if free < 256 * 1_048_576 {
                return message + " (the disk holding the store has \(free / 1_048_576) MB free)"
            }
        }
        return message
    }

    var rawHandle: OpaquePointer { handle }

    static func summary(of sql: String) -> String {
        let flat = sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return flat.count > 120 ? String(flat.prefix(117)) + "..." : flat
    }

    /// Process-wide settings, made once before the first connection: the
    /// memory statistics (which nothing here reads) take a global mutex on
    /// every allocation of every connection.
    private static let libraryConfiguration: Void = {
        _ = perimeter_sqlite3_disable_memory_statistics()
        _ = perimeter_sqlite3_disable_uri_names()
    }()

    /// The SQLite library version, for `perimeter version` and reports.
    public static var libraryVersion: String { String(cString: sqlite3_libversion()) }
}

/// The closure behind `Database.defineTextFunction`, boxed for SQLite's
/// user-data pointer (released when SQLite drops the function).
private final class TextFunction {
    let transform: (String) -> String
    init(_ transform: @escaping (String) -> String) { self.transform = transform }
}

/// The closure behind `Database.onCommit`, boxed for SQLite's context pointer.
private final class CommitHook {
    let call: (Int) -> Void
    init(_ call: @escaping (Int) -> Void) { self.call = call }
}
