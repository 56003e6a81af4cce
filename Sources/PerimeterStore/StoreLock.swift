import Foundation

/// The one-writer rule made visible: an ingest, a server or a command
/// that writes takes this advisory lock beside the store file
/// (`perimeter.db.lock`), so a second writer is refused with a clear
/// message instead of diverging from the first's in-memory inventory.
/// The kernel drops the lock when the process ends, however it ends.
public final class StoreLock {
    private let descriptor: Int32
    public let path: String

    /// Takes the lock, or throws when another process holds it.
    public init(store: String) throws {
        path = store + ".lock"
        let previousMask = umask(0o077)
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        umask(previousMask)
        guard descriptor >= 0 else {
            throw StoreError(code: .invalid, message: "cannot open the lock file '\(path)': "
                             + String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(descriptor)
            throw StoreError(code: .conflict, message:
                "the store '\(store)' is being written by another perimeter process"
                + (holder.isEmpty ? "" : " (\(holder))")
                + "; one writer at a time: stop it, or send the change through its API")
        }
        let note = "pid \(getpid())\n"
        ftruncate(descriptor, 0)
        _ = note.withCString { write(descriptor, $0, strlen($0)) }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
