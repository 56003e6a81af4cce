import Foundation
import Synchronization

/// The one-writer rule made visible: an ingest, a server or a command
/// that writes takes this advisory lock beside the store file
/// (`perimeter.db.lock`), so a second writer process is refused with a
/// clear message instead of diverging from the first's in-memory
/// inventory. The kernel drops the lock when the process ends, however it
/// ends. Within one process the lock is shared (a server restarted in
/// place, tests): there the single writer is the process's own business.
public final class StoreLock: Sendable {
    private struct Held {
        var descriptor: Int32
        var holders: Int
    }

    /// Locks this process holds, by lock file path.
    private static let held = Mutex<[String: Held]>([:])

    public let path: String

    /// Takes the lock, or throws when another process holds it. The lock
    /// file sits beside the store's real path: a symbolic link to the
    /// store locks the same file. Shortcoming: a hard link to the store
    /// file is another path, and another lock.
    public init(store: String) throws {
        let path = URL(fileURLWithPath: store).resolvingSymlinksInPath().path + ".lock"
        self.path = path
        try Self.held.withLock { (held: inout [String: Held]) throws(StoreError) in
            if var existing = held[path] {
                existing.holders += 1
                held[path] = existing
                return
            }
            held[path] = Held(descriptor: try Self.acquire(path, store: store), holders: 1)
        }
    }

    private static func acquire(_ path: String, store: String) throws(StoreError) -> Int32 {
        let previousMask = umask(0o077)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
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
        ftruncate(descriptor, 0)
        _ = "pid \(getpid())\n".withCString { write(descriptor, $0, strlen($0)) }
        return descriptor
    }

    deinit {
        let path = path
        Self.held.withLock { held in
            guard var existing = held[path] else { return }
            existing.holders -= 1
            if existing.holders > 0 {
                held[path] = existing
            } else {
                flock(existing.descriptor, LOCK_UN)
                close(existing.descriptor)
                held[path] = nil
            }
        }
    }
}
