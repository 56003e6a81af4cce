import Foundation
import Synchronization

/// The built `perimeter` executable, run as a child process by end-to-end
/// tests, exactly as an operator runs it.
public struct PerimeterExecutable: Sendable {
    public let path: String

    /// What one finished run printed and returned.
    public struct Result: Sendable {
        public var status: Int32
        /// True when the process ended by a signal (`status` is then the signal).
        public var wasSignalled: Bool
        public var standardOutput: Data
        public var standardError: String

        public var outputText: String { String(decoding: standardOutput, as: UTF8.self) }
        /// Standard output split into lines, without the final empty one.
        public var outputLines: [String] {
            outputText.split(separator: "\n", omittingEmptySubsequences: false)
                .dropLast(outputText.hasSuffix("\n") ? 1 : 0).map(String.init)
        }
    }

    public init(path: String) { self.path = path }

    /// Finds the executable: `PERIMETER_BINARY`, else next to the test
    /// bundle (the same build directory, whatever `--scratch-path` was),
    /// else the package's `.build/debug/perimeter`. Nil when none is
    /// built: `swift build --build-tests` builds it, `swift test` alone
    /// may not.
    public static func locate(filePath: String = #filePath) -> PerimeterExecutable? {
        let manager = FileManager.default
        var candidates: [String] = []
        if let path = ProcessInfo.processInfo.environment["PERIMETER_BINARY"] {
            candidates.append(path)
        }
        var bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0])
            .resolvingSymlinksInPath().deletingLastPathComponent()
        // On macOS the test binary sits inside Foo.xctest/Contents/MacOS.
        while bundleDirectory.path.contains(".xctest") {
            bundleDirectory.deleteLastPathComponent()
        }
        candidates.append(bundleDirectory.appendingPathComponent("perimeter").path)
        let packageRoot = URL(fileURLWithPath: filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug/perimeter").path)
        return candidates.first { manager.isExecutableFile(atPath: $0) }
            .map(PerimeterExecutable.init(path:))
    }

    /// Runs to the end with `arguments`, in `directory`, with no
    /// `PERIMETER_*` variables from the caller's environment (so that a
    /// developer's PERIMETER_CONFIG never changes a test's answer).
    public func run(_ arguments: [String], in directory: URL? = nil,
                    standardInput: Data? = nil,
                    environment extra: [String: String] = [:]) throws -> Result {
        let process = makeProcess(arguments, in: directory, environment: extra)
        let output = Pipe()
        let error = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = standardInput == nil ? FileHandle.nullDevice : input
        try process.run()
        if let standardInput {
            // Written on its own thread: a large input would otherwise fill
            // the pipe while the child waits for us to read its output.
            let writer = input.fileHandleForWriting
            Thread.detachNewThread {
                try? writer.write(contentsOf: standardInput)
                try? writer.close()
            }
        }
        // Both pipes are drained at once so that neither can fill and block.
        let errorData = LockedData()
        let errorDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            errorData.set(error.fileHandleForReading.readDataToEndOfFile())
            errorDone.signal()
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        errorDone.wait()
        return Result(status: process.terminationStatus,
                      wasSignalled: process.terminationReason == .uncaughtSignal,
                      standardOutput: outputData,
                      standardError: String(decoding: errorData.value, as: UTF8.self))
    }

    /// Starts a run whose output is thrown away, for tests that kill it.
    public func launch(_ arguments: [String], in directory: URL? = nil) throws -> Process {
        let process = makeProcess(arguments, in: directory, environment: [:])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    private func makeProcess(_ arguments: [String], in directory: URL?,
                             environment extra: [String: String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var environment = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("PERIMETER_")
        }
        environment.merge(extra) { _, new in new }
        process.environment = environment
        return process
    }
}

/// Bytes handed from a reader thread to the waiting test.
private final class LockedData: @unchecked Sendable {
    // Safe: every access goes through `lock`.
    private let lock = NSLock()
    private var data: Data?

    func set(_ value: Data) { lock.withLock { data = value } }
    var value: Data { lock.withLock { data ?? Data() } }
}

/// A fresh directory under the system's temporary directory, removed by
/// `remove()` (tests call it in a `defer`).
public struct ScratchDirectory: Sendable {
    public let url: URL

    /// Made now, removed by `remove()` or else when the test process exits.
    public init(_ label: String) throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("perimeter-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        RemovedAtExit.register(url)
    }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `text` to `name` and returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) throws -> String {
        let path = path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    public func remove() { try? FileManager.default.removeItem(at: url) }
}

/// The permission bits of a file (`0o600` for owner read/write).
public func filePermissions(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

/// Directories removed when the test process exits, for those that no one
/// test owns to its end: a store that a server reopens after a restart, a
/// suite's directory shared by its tests. Without it every run of the
/// suite left its stores behind (about 60 directories, and 740 MB after
/// the server benchmark) on a machine that CI and later sessions reuse.
public enum RemovedAtExit {
    private static let directories = Mutex<[URL]>([])
    private static let removalAtExit: Void = {
        atexit { RemovedAtExit.removeAll() }
    }()

    public static func register(_ url: URL) {
        _ = removalAtExit
        directories.withLock { $0.append(url) }
    }

    private static func removeAll() {
        for url in directories.withLock({ $0 }) { try? FileManager.default.removeItem(at: url) }
    }
}
