import Synchronization

/// A response body written while it is sent, for answers too large to
/// hold whole (an export of a million assets is some 600 MB of JSON).
///
/// The handler answers at once with the stream and writes the body from a
/// task of its own; the network thread sends what has been written and
/// parks the connection while nothing is there. At most `bufferLimit`
/// bytes wait in memory: past that, `write` waits for the client to read.
/// A client that goes away, or a server that stops, ends the stream:
/// `write` then answers false and the writer should stop.
///
/// The body goes out with chunked transfer encoding, so a client can tell
/// a body cut short (`fail()`, or the writer's task ending without
/// `finish()`) from a whole one: the last chunk is never sent.
public final class HTTPBodyStream: Sendable {
    /// What the network thread does next, given what was written.
    enum Supply {
        /// This many bytes were copied out.
        case bytes(Int)
        /// Nothing yet: the connection is parked until the next write.
        case parked
        /// The body is complete.
        case finished
        /// The body cannot be completed: the client must not take it as whole.
        case failed
    }

    private struct State {
        var chunks: [[UInt8]] = []
        /// Bytes of `chunks[0]` already sent.
        var offsetInFirst = 0
        var buffered = 0
        var sent = 0
        var isFinished = false
        var isFailed = false
        /// The client left, the server stopped or the response was dropped.
        var isClosed = false
        /// Resumes the parked connection; set while it waits for a write.
        var unpark: (@Sendable () -> Void)?
        /// The writer waiting for room in the buffer.
        var waitingWriter: CheckedContinuation<Bool, Never>?
        /// The network thread asked for more after the stream was closed.
        var hasSeenClose = false

        var isEnded: Bool { isFinished || isFailed }
    }

    public let bufferLimit: Int
    private let state = Mutex(State())

    public init(bufferLimit: Int = 1 << 20) {
        self.bufferLimit = max(bufferLimit, 1)
    }

    /// Bytes handed to the network so far (the access log's count).
    var sentBytes: Int { state.withLock { $0.sent } }

    /// Appends `bytes` to the body; waits while `bufferLimit` bytes or
    /// more wait to be sent. False when the body will not be sent on (the
    /// client left, the server stopped): the writer should stop.
    @discardableResult
    public func write(_ bytes: [UInt8]) async -> Bool {
        guard !bytes.isEmpty else { return state.withLock { !$0.isClosed && !$0.isEnded } }
        let (accepted, unpark) = state.withLock { state -> (Bool, (@Sendable () -> Void)?) in
            guard !state.isClosed, !state.isEnded else { return (false, nil) }
            state.chunks.append(bytes)
            state.buffered += bytes.count
            defer { state.unpark = nil }
            return (true, state.unpark)
        }
        unpark?()
        guard accepted else { return false }
        return await withCheckedContinuation { continuation in
            let answer: Bool? = state.withLock { state in
                if state.isClosed { return false }
                if state.buffered < bufferLimit { return true }
                state.waitingWriter = continuation
                return nil
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

    /// The body is complete: the network thread sends what remains, then
    /// the last chunk.
    public func finish() { end(failed: false) }

    /// The body cannot be completed (a read failed midway): the connection
    /// closes after what was written, without the last chunk.
    public func fail() { end(failed: true) }

    private func end(failed: Bool) {
        let unpark = state.withLock { state -> (@Sendable () -> Void)? in
            guard !state.isEnded else { return nil }
            if failed { state.isFailed = true } else { state.isFinished = true }
            defer { state.unpark = nil }
            return state.unpark
        }
        unpark?()
    }

    // MARK: - The network side

    /// Copies up to `buffer.count` bytes out; with none to copy and the
    /// body not ended, calls `park` (which suspends the connection) and
    /// keeps `unpark` to resume it at the next write, both under the lock,
    /// so that no write can slip between the test and the parking.
    func supply(into buffer: UnsafeMutableRawBufferPointer, park: () -> Void,
                unpark: @escaping @Sendable () -> Void) -> Supply {
        let (supply, writer) = state.withLock { state -> (Supply, CheckedContinuation<Bool, Never>?) in
            if state.isClosed {
                state.hasSeenClose = true
                return (.failed, nil)
            }
            guard state.buffered > 0 else {
                if state.isFailed { return (.failed, nil) }
                if state.isFinished { return (.finished, nil) }
                park()
                state.unpark = unpark
                return (.parked, nil)
            }
            var copied = 0
            while copied < buffer.count, !state.chunks.isEmpty {
                let chunk = state.chunks[0]
                let count = min(chunk.count - state.offsetInFirst, buffer.count - copied)
                chunk.withUnsafeBytes { bytes in
                    UnsafeMutableRawBufferPointer(rebasing: buffer[copied..<(copied + count)])
                        .copyMemory(from: UnsafeRawBufferPointer(
                            rebasing: bytes[state.offsetInFirst..<(state.offsetInFirst + count)]))
                }
                copied += count
                state.offsetInFirst += count
                if state.offsetInFirst == chunk.count {
                    state.chunks.removeFirst()
                    state.offsetInFirst = 0
                }
            }
            state.buffered -= copied
            state.sent += copied
            // Woken at half the limit: a writer woken at each send would
            // trade one chunk for one wake-up.
            guard state.buffered <= bufferLimit / 2, let writer = state.waitingWriter else {
                return (.bytes(copied), nil)
            }
            state.waitingWriter = nil
            return (.bytes(copied), writer)
        }
        writer?.resume(returning: true)
        return supply
    }

    /// The response is done with (sent, or its connection gone), or the
    /// server stops: a writer still writing is told to stop, and what it
    /// wrote is let go. True when it resumed a parked connection, which the
    /// library must take up before it stops.
    @discardableResult
    func close() -> Bool {
        let (writer, unpark) = state.withLock {
            state -> (CheckedContinuation<Bool, Never>?, (@Sendable () -> Void)?) in
            state.isClosed = true
            state.chunks = []
            state.buffered = 0
            defer {
                state.waitingWriter = nil
                state.unpark = nil
            }
            return (state.waitingWriter, state.unpark)
        }
        writer?.resume(returning: false)
        unpark?()
        return unpark != nil
    }

    /// Whether the network thread asked for more since the stream closed:
    /// a connection the server's stop resumed has been taken up.
    var hasSeenClose: Bool { state.withLock { $0.hasSeenClose } }
}
