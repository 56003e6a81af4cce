import Foundation
import Synchronization

/// The one-writer rule made visible: an ingest, a server or a command
/// that writes takes an advisory lock on the store file and on a file
/// beside it (`perimeter.db.lock`, which names the holder), so a second
/// writer process is refused with a clear message instead of diverging
/// from the first's in-memory inventory. The store file's own lock holds
/// whatever name reaches it (a hard link) and whatever happens to the
/// lock file (deleted while held). The kernel drops both when the process
/// ends, however it ends. Within one process the lock is shared (a server
/// restarted in place, tests): there the single writer is the process's
/// own business.
public final class StoreLock: Sendable {
    private struct Held {
        var descriptors: [Int32]
        var holders: Int
    }

    /// Locks this process holds, by lock file path.
    private static let held = Mutex<[String: Held]>([:])

    public let path: String

    /// Takes the lock, or throws when another process holds it. The lock
    /// file sits beside the store's real path: a symbolic link to the
    /// store locks the same file.
    public init(store: String) throws {
        try StoreError.checkStorePath(store)
        let path = URL(fileURLWithPath: store).resolvingSymlinksInPath().path + ".lock"
        self.path = path
        try Self.held.withLock { (held: inout [String: Held]) throws(StoreError) in
            if var existing = held[path] {
                existing.holders += 1
                held[path] = existing
                return
            }
            var lockStatus = stat()
            let lockFileExisted = stat(path, &lockStatus) == 0
            let lockFile = try Self.acquire(path, store: store)
            do throws(StoreError) {
                let storeFile = try Self.acquire(String(path.dropLast(".lock".count)), store: store,
                                                 holderFile: path)
                // Read through the descriptor the lock keeps open: one
                // opened and closed for it would drop the SQLite
                // connections' POSIX locks on the file in this process.
                if let storeFile, !StoreError.startsAsDatabase(Self.header(of: storeFile)) {
                    close(storeFile)
                    if !lockFileExisted { unlink(path) }
                    throw StoreError.notADatabase(store)
                }
                // Named the holder once both are held: a process refused by
                // the store file's lock (the lock file deleted under a
                // running server) left its own pid there.
                if let lockFile {
                    ftruncate(lockFile, 0)
                    _ = "pid \(getpid())\n".withCString { pwrite(lockFile, $0, strlen($0), 0) }
                }
                held[path] = Held(descriptors: [lockFile, storeFile].compactMap { $0 }, holders: 1)
            } catch {
                if let lockFile { close(lockFile) }
                throw error
            }
        }
    }

    /// The first 16 bytes of a file (fewer for a shorter one).
    private static func header(of descriptor: Int32) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 16)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, 16, 0) }
        return count < 16 ? Array(bytes.prefix(max(0, count))) : bytes
    }

    /// Opens `path` (created owner-only if missing, as the store must be)
    /// and locks it; nil when the file system cannot lock it, where the
    /// other file's lock is the rule alone. A refusal names the holder
    /// that `holderFile` (else `path`) records.
    private static func acquire(_ path: String, store: String,
                                holderFile: String? = nil) throws(StoreError) -> Int32? {
        let previousMask = umask(0o077)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        umask(previousMask)
        guard descriptor >= 0 else {
            throw StoreError(code: .invalid, message: "cannot open '\(path)' to lock the store: "
                             + String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let failure = errno
            close(descriptor)
            guard failure == EWOULDBLOCK else { return nil }
            let holder = (try? String(contentsOfFile: holderFile ?? path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            throw StoreError(code: .conflict, message:
                "the store '\(store)' is being written by another perimeter process"
                + (holder.isEmpty ? "" : " (\(holder))")
                + "; one writer at a time: stop it, or send the change through its API")
        }
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
                for descriptor in existing.descriptors {
                    flock(descriptor, LOCK_UN)
                    close(descriptor)
                }
                held[path] = nil
            }
        }
    }
}
