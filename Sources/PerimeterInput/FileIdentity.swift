import Foundation

/// What a resuming reader compares to tell "same file, grown" from "a new
/// file under the same name" (rotation).
public struct FileIdentity: Sendable, Hashable, Codable {
    public let device: UInt64
    public let inode: UInt64
    /// Size on disk; for a gzip file, the compressed size.
    public let size: UInt64
    public let modificationSeconds: Int64
    public let modificationNanoseconds: Int64

    public init(device: UInt64, inode: UInt64, size: UInt64,
                modificationSeconds: Int64, modificationNanoseconds: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modificationSeconds = modificationSeconds
        self.modificationNanoseconds = modificationNanoseconds
    }

    /// The identity `fstat` or `stat` reported.
    init(_ status: stat) {
        self.init(device: UInt64(status.st_dev), inode: UInt64(status.st_ino),
                  size: UInt64(status.st_size),
                  modificationSeconds: Int64(status.st_mtim.tv_sec),
                  modificationNanoseconds: Int64(status.st_mtim.tv_nsec))
    }

    /// The same file (device and inode), whatever its size and time.
    public func isSameFile(as other: FileIdentity) -> Bool {
        device == other.device && inode == other.inode
    }
}
