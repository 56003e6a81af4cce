import Foundation

/// A store operation that failed for a reason the user can act on.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case newerSchema = "newer_schema"
        case notFound = "not_found"
        case ambiguous = "ambiguous"
        case conflict = "conflict"
        case invalid = "invalid"
    }

    public let code: Code
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension StoreError {
    /// Refuses a store path that cannot be a store, before a lock file is
    /// made beside it or SQLite answers in its own words ("unable to open
    /// database file"): a folder, or a folder that does not exist. A
    /// missing file is a store to create. Only `stat`: opening and closing
    /// the file here would drop every POSIX lock this process's SQLite
    /// connections hold on it (closing any descriptor of a file does), and
    /// another process would then take the store for unused and delete
    /// its write-ahead log under the server.
    public static func checkStorePath(_ path: String) throws(StoreError) {
        var status = stat()
        guard stat(path, &status) == 0 else {
            let folder = (path as NSString).deletingLastPathComponent
            var folderStatus = stat()
            if !folder.isEmpty && stat(folder, &folderStatus) != 0 {
                throw StoreError(code: .invalid, message: "cannot make the store '\(path)': the "
                                 + "folder '\(folder)' does not exist; create it, or give another path")
            }
            return
        }
        if status.st_mode & S_IFMT == S_IFDIR {
            throw StoreError(code: .invalid, message: "'\(path)' is a folder, not a store: give the "
                             + "path of a store file (such as \(path)/perimeter.db), or of one to create")
        }
        // A device or a pipe (`/dev/null`): SQLite wrote its journal beside
        // it (`/dev/null-journal`) and failed with a disk I/O error.
        if status.st_mode & S_IFMT != S_IFREG {
            throw StoreError(code: .invalid, message: "'\(path)' is not a regular file (a device or "
                             + "a pipe), so it cannot be a store: give the path of a store file, "
                             + "or of one to create")
        }
    }

    /// A file given as a store that is no SQLite database (a CSV given to
    /// `--db` by mistake).
    static func notADatabase(_ path: String) -> StoreError {
        StoreError(code: .invalid, message: "'\(path)' is not a Perimeter store (it is not an "
                   + "SQLite database); give the path of a store, or of a file to create")
    }

    /// Whether the first bytes of a file are an SQLite database's header
    /// (an empty file is a store to create).
    static func startsAsDatabase(_ header: [UInt8]) -> Bool {
        header.isEmpty || header.elementsEqual(Array("SQLite format 3\u{0}".utf8))
    }
}
