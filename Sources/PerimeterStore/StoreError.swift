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
    /// made beside it or SQLite answers in its own words ("file is not a
    /// database", "unable to open database file"): a folder, a folder that
    /// does not exist, or a file that is not an SQLite database (a CSV
    /// given to `--db` by mistake). An empty or missing file is a store to
    /// create.
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
        guard status.st_size > 0, let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        if !header.elementsEqual(Array("SQLite format 3\u{0}".utf8).prefix(header.count))
            || header.count < 16 {
            throw StoreError(code: .invalid, message: "'\(path)' is not a Perimeter store (it is "
                             + "not an SQLite database); give the path of a store, or of a file to "
                             + "create")
        }
    }
}
