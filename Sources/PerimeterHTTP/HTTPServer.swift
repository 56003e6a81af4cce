import CMicroHTTPD
import PerimeterInput
import Foundation
import Synchronization

/// An HTTP/1.1 server on libmicrohttpd: the library's network threads read
/// requests; complete requests go to an `HTTPHandler` on the Swift
/// concurrency pool.
///
/// Bridging the synchronous library callback to the async handler uses
/// libmicrohttpd's suspend/resume rather than a semaphore: the network
/// thread suspends the connection, starts the handler's task and returns at
/// once, and the task resumes the connection when it has an answer. So a
/// slow handler (a large export) never holds a network thread, and a few
/// network threads serve any number of requests in flight. See
/// https://www.gnu.org/software/libmicrohttpd/manual/html_node/microhttpd_002dflow.html
public final class HTTPServer: @unchecked Sendable {
    // @unchecked: the mutable state is `lifecycle` and `counters`, both behind
    // mutexes; the rest is immutable after init.
    public let configuration: HTTPServerConfiguration
    private let handler: any HTTPHandler
    private let socket: ListenSocket
    private let tlsCertificate: UnsafeMutablePointer<CChar>?
    private let tlsKey: UnsafeMutablePointer<CChar>?
    private let lifecycle = Mutex(Lifecycle.created)
    private let counters = Mutex(Counters())

    private enum Lifecycle {
        case created
        case running(DaemonHandle)
        case stopping
        case stopped
    }

    private struct Counters {
        /// Requests whose headers arrived and whose completion did not.
        var openRequests = 0
        /// Handler tasks started and not yet finished.
        var runningHandlers = 0
        /// Set by `stop()`: new requests on kept-alive connections get 503.
        var isDraining = false
        /// Streamed bodies being sent: a stop must resume the connections
        /// of those parked before it stops the library.
        var streams: [ObjectIdentifier: HTTPBodyStream] = [:]
    }

    /// The libmicrohttpd version, as `perimeter version` reports it.
    public static var libraryVersion: String { String(cString: MHD_get_version()) }

    /// The port the server listens on, known from init (the one the system
    /// picked when the configuration asked for port 0).
    public var boundPort: Int { socket.port }

    /// Binds the listening socket and reads the TLS files; `start()` then
    /// serves.
    public init(configuration: HTTPServerConfiguration,
                handler: some HTTPHandler) throws(HTTPServerError) {
        let doing = "while setting up the HTTP server"
        for (name, value, minimum) in [
            ("maxBodyBytes", configuration.maxBodyBytes, 0),
            ("maxDecodedBodyBytes", configuration.maxDecodedBodyBytes, 0),
            ("connectionTimeoutSeconds", configuration.connectionTimeoutSeconds, 1),
            ("threadCount", configuration.threadCount, 1),
            ("connectionLimit", configuration.connectionLimit, 1),
            ("connectionLimitPerClient", configuration.connectionLimitPerClient, 1),
        ] where value < minimum {
            throw HTTPServerError(
                code: .invalidConfiguration,
                message: "invalid \(name) \(value): expected at least \(minimum) (\(doing))")
        }
        if let tls = configuration.tls {
            tlsCertificate = try Self.readPEM(tls.certificatePath, what: "certificate")
            do {
                tlsKey = try Self.readPEM(tls.privateKeyPath, what: "private key")
            } catch {
                free(tlsCertificate)
                throw error
            }
        } else {
            tlsCertificate = nil
            tlsKey = nil
        }
        do {
            socket = try ListenSocket(host: configuration.host, port: configuration.port)
        } catch {
            free(tlsCertificate)
            free(tlsKey)
            throw error
        }
        self.configuration = configuration
        self.handler = handler
    }

    /// A server whose handler is a closure.
    public convenience init(
        configuration: HTTPServerConfiguration,
        handle: @escaping @Sendable (HTTPRequest) async -> HTTPResponse
    ) throws(HTTPServerError) {
        try self.init(configuration: configuration, handler: HTTPClosureHandler(handle))
    }

    deinit {
        stop()
        free(tlsCertificate)
        free(tlsKey)
    }

    /// Starts the network threads; returns at once.
    public func start() throws(HTTPServerError) {
        try lifecycle.withLock { state throws(HTTPServerError) in
            guard case .created = state else {
                throw HTTPServerError(
                    code: .alreadyStarted,
                    message: "cannot start the HTTP server: it was started before "
                        + "(a stopped server cannot be restarted; make a new one)")
            }
            state = .running(try startDaemon())
        }
    }

    /// Stops gracefully: stops accepting connections, lets running handlers
    /// finish and their answers go out (waiting up to the grace period for
    /// requests still arriving or still being sent), then closes everything.
    /// Returns when done; calling it again does nothing.
    public func stop() {
        let daemon = lifecycle.withLock { state -> DaemonHandle? in
            switch state {
            case .running(let daemon):
                state = .stopping
                return daemon
            case .created:
                state = .stopped
                return nil
            case .stopping, .stopped:
                return nil
            }
        }
        guard let daemon else {
            socket.closeIfOpen()
            return
        }
        counters.withLock { $0.isDraining = true }
        let quiesced = MHD_quiesce_daemon(daemon.pointer)
        if quiesced >= 0 { socket.refuseNewConnections() }

        // libmicrohttpd must not be stopped while a connection is suspended,
        // so running handlers are always awaited; the grace period bounds
        // only the wait for the network.
        let deadline = ContinuousClock.now + configuration.shutdownGracePeriod
        while true {
            let (open, running) = counters.withLock { ($0.openRequests, $0.runningHandlers) }
            if running == 0 && (open == 0 || ContinuousClock.now >= deadline) { break }
            usleep(2_000)
        }
        // A streamed body still being written is cut short; a parked
        // connection is resumed to see that, and closes. Those are waited
        // for, briefly (the network threads need a turn); the others end
        // with the library's stop.
        let resumed = counters.withLock({ Array($0.streams.values) }).filter { $0.close() }
        let streamsDeadline = ContinuousClock.now + .seconds(2)
        while resumed.contains(where: { !$0.hasSeenClose }) && ContinuousClock.now < streamsDeadline {
            usleep(2_000)
        }
        MHD_stop_daemon(daemon.pointer)
        // After a quiesce the socket is ours to close, and only after the
        // stop (MHD's threads may still use it until then).
        if quiesced >= 0 { socket.closeIfOpen() } else { socket.forget() }
        lifecycle.withLock { $0 = .stopped }
    }

    // MARK: - Starting libmicrohttpd

    private func startDaemon() throws(HTTPServerError) -> DaemonHandle {
        // poll(), not the epoll that MHD_USE_AUTO picks on Linux: with epoll,
        // MHD_quiesce_daemon (which `stop()` needs, to stop accepting) races
        // the network thread's own removal of the listening socket from the
        // epoll set, and libmicrohttpd 0.9.75 aborts the whole process
        // ("Failed to remove listen FD from epoll set") when it loses. On
        // poll, quiescing goes through the inter-thread channel, with no
        // such race. Each network thread polls only its own connections,
        // so poll's cost per wake-up stays small.
        var flags = MHD_USE_POLL_INTERNAL_THREAD.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
        if configuration.tls != nil { flags |= MHD_USE_TLS.rawValue }
        if socket.isIPv6 { flags |= MHD_USE_IPv6.rawValue }
        if configuration.libraryLog != nil { flags |= MHD_USE_ERROR_LOG.rawValue }

        let context = Unmanaged.passUnretained(self).toOpaque()
        var options: [MHD_OptionItem] = [
            Self.option(.LISTEN_SOCKET, Int(socket.descriptor)),
            Self.option(.CONNECTION_TIMEOUT, configuration.connectionTimeoutSeconds),
            Self.option(.CONNECTION_LIMIT, configuration.connectionLimit),
            Self.option(.PER_IP_CONNECTION_LIMIT, configuration.connectionLimitPerClient),
            // Refuse what HTTP/1.1 forbids (such as a missing Host) rather
            // than guess: API clients are programs, and guesses hide bugs.
            Self.option(.STRICT_FOR_CLIENT, 1),
            // Room for long query strings (filters) and many headers.
            Self.option(.CONNECTION_MEMORY_LIMIT, 128 << 10),
            Self.option(.NOTIFY_COMPLETED,
                        unsafeBitCast(completedCallback, to: Int.self), context),
            // Keep the path and query raw: the router splits the path into
            // segments before decoding, and `+` in a query means a space.
            Self.option(.UNESCAPE_CALLBACK,
                        unsafeBitCast(rawUnescapeCallback, to: Int.self)),
        ]
        if configuration.threadCount > 1 {
            options.append(Self.option(.THREAD_POOL_SIZE, configuration.threadCount))
        }
        if let tlsCertificate, let tlsKey {
            options.append(Self.option(.HTTPS_MEM_CERT, 0, tlsCertificate))
            options.append(Self.option(.HTTPS_MEM_KEY, 0, tlsKey))
        }
        if configuration.libraryLog != nil {
            options.append(Self.option(.EXTERNAL_LOGGER,
                                       unsafeBitCast(logCallback, to: Int.self), context))
        }
        options.append(Self.option(.END, 0))

        let daemon = options.withUnsafeMutableBufferPointer { items in
            withVaList([Int32(MHD_OPTION.ARRAY.rawValue), items.baseAddress!,
                        Int32(MHD_OPTION.END.rawValue)]) { arguments in
                MHD_start_daemon_va(flags, 0, nil, nil, accessCallback, context,
                                    arguments)
            }
        }
        guard let daemon else {
            let why = configuration.tls == nil
                ? "libmicrohttpd refused the options"
                : "libmicrohttpd refused the options or the TLS certificate and key "
                    + "(are they matching PEM files?)"
            throw HTTPServerError(
                code: .startFailed,
                message: "cannot start the HTTP server: \(why) (while starting on "
                    + "\(configuration.host) port \(boundPort))")
        }
        return DaemonHandle(pointer: daemon)
    }

    private static func option(_ option: MHD_OPTION, _ value: Int,
                               _ pointer: UnsafeMutableRawPointer? = nil) -> MHD_OptionItem {
        MHD_OptionItem(option: option, value: value, ptr_value: pointer)
    }

    private static func option(_ option: MHD_OPTION, _ value: Int,
                               _ text: UnsafeMutablePointer<CChar>) -> MHD_OptionItem {
        MHD_OptionItem(option: option, value: value, ptr_value: UnsafeMutableRawPointer(text))
    }

    private static func readPEM(
        _ path: String, what: String
    ) throws(HTTPServerError) -> UnsafeMutablePointer<CChar> {
        let bytes: [UInt8]
        do { bytes = try WholeFile.bytes(atPath: path) } catch {
            throw HTTPServerError(
                code: .tlsFileUnreadable,
                message: "cannot read the TLS \(what) '\(path)': \(error.reason) "
                    + "(while setting up HTTPS)")
        }
        guard !bytes.isEmpty else {
            throw HTTPServerError(
                code: .tlsFileUnreadable,
                message: "cannot read the TLS \(what) '\(path)': the file is empty "
                    + "(while setting up HTTPS)")
        }
        guard let copy = strdup(String(decoding: bytes, as: UTF8.self)) else {
            fatalError("strdup failed: out of memory (while copying the TLS \(what))")
        }
        return copy
    }

    // MARK: - Request lifecycle, on libmicrohttpd's network threads

    /// One call of the access handler; see the library's documentation of
    /// `MHD_AccessHandlerCallback` for the call sequence: once with headers,
    /// once per body chunk, once with no data at the end of the body, and
    /// once more after a resume.
    fileprivate func access(
        connection: OpaquePointer, url: UnsafePointer<CChar>, method: UnsafePointer<CChar>,
        uploadData: UnsafePointer<CChar>?, uploadDataSize: UnsafeMutablePointer<Int>,
        requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        guard let existing = requestContext.pointee else {
            let request = begin(connection: connection, url: url, method: method)
            requestContext.pointee = Unmanaged.passRetained(request).toOpaque()
            return admit(request, on: connection)
        }
        let request = Unmanaged<InFlightRequest>.fromOpaque(existing).takeUnretainedValue()
        let phase = request.phase.withLock { phase -> InFlightRequest.Phase in
            let current = phase
            if case .answered = current { phase = .responded }
            return current
        }
        switch phase {
        case .receiving:
            let size = uploadDataSize.pointee
            guard size == 0 else {
                receive(uploadData, count: size, into: request)
                uploadDataSize.pointee = 0
                return .YES
            }
            return dispatch(request, on: connection)
        case .answered(let response):
            return queue(response, for: request, on: connection)
        case .handling:
            // Not called while suspended; nothing to do if it ever is.
            return .YES
        case .responded:
            return .NO
        }
    }

    private func begin(connection: OpaquePointer, url: UnsafePointer<CChar>,
                       method: UnsafePointer<CChar>) -> InFlightRequest {
        let request = InFlightRequest(method: HTTPMethod(rawValue: String(cString: method)),
                                      path: String(cString: url))
        withUnsafeMutablePointer(to: &request.headers) { headers in
            _ = MHD_get_connection_values(connection, .HEADER_KIND, { cls, _, key, value in
                guard let cls, let key else { return .YES }
                let headers = cls.assumingMemoryBound(to: HTTPHeaders.self)
                headers.pointee.add(name: String(cString: key),
                                    value: value.map { String(cString: $0) } ?? "")
                return .YES
            }, headers)
        }
        var rawQuery: [(String, String)] = []
        withUnsafeMutablePointer(to: &rawQuery) { items in
            _ = MHD_get_connection_values(connection, .GET_ARGUMENT_KIND, { cls, _, key, value in
                guard let cls, let key else { return .YES }
                let items = cls.assumingMemoryBound(to: [(String, String)].self)
                items.pointee.append((String(cString: key),
                                      value.map { String(cString: $0) } ?? ""))
                return .YES
            }, items)
        }
        for (name, value) in rawQuery where !(name.isEmpty && value.isEmpty) {
            guard let name = PercentDecoding.decode(name[...], plusIsSpace: true),
                  let value = PercentDecoding.decode(value[...], plusIsSpace: true) else {
                request.isQueryMalformed = true
                continue
            }
            request.queryItems.append(HTTPQueryItem(name: name, value: value))
        }
        if let address = perimeter_mhd_client_address(connection) {
            request.remoteAddress = ListenSocket.describe(address)
        }
        counters.withLock { $0.openRequests += 1 }
        return request
    }

    /// Decides, from the headers alone, whether to read the body at all.
    private func admit(_ request: InFlightRequest, on connection: OpaquePointer) -> MHD_Result {
        if counters.withLock({ $0.isDraining }) {
            var error = HTTPError(status: 503, code: .serviceUnavailable,
                                  message: "service unavailable: the server is stopping")
            error.headers.set(name: "Connection", value: "close")
            return queue(error.response, for: request, on: connection)
        }
        // Fields that must appear once (RFC 9112 §6.3, RFC 9110 §11.6.2):
        // two lengths let a proxy and this server read different bodies,
        // two credentials let them authorise different callers. The
        // library keeps both and answers with the first.
        for name in ["Content-Length", "Authorization"]
        where Set(request.headers.values(for: name)).count > 1 {
            var error = HTTPError.badRequest("the request has several \(name) header fields")
            error.headers.set(name: "Connection", value: "close")
            return queue(error.response, for: request, on: connection)
        }
        // Both framings at once (RFC 9112 §6.1): a proxy that reads the
        // length and this server, which reads the chunks, would split the
        // stream in different places.
        if request.headers["Content-Length"] != nil && request.headers["Transfer-Encoding"] != nil {
            var error = HTTPError.badRequest(
                "the request has both Content-Length and Transfer-Encoding header fields")
            error.headers.set(name: "Connection", value: "close")
            return queue(error.response, for: request, on: connection)
        }
        // A declared length over the limit is refused before reading the
        // body; the library then closes the connection, body unread.
        if let declared = request.headers["Content-Length"].flatMap(Int.init),
           declared > configuration.maxBodyBytes {
            request.isBodyOverLimit = true
            return queue(HTTPError.bodyTooLarge(limit: configuration.maxBodyBytes).response,
                         for: request, on: connection)
        }
        // The handler's word on the head (a missing or wrong token): given
        // now, before a `100 Continue` and before any of the body is read
        // or decompressed; the library closes the connection, body unread.
        let head = HTTPRequest(method: request.method, path: request.path,
                               queryItems: request.queryItems, headers: request.headers,
                               remoteAddress: request.remoteAddress)
        if let answer = handler.admit(head) {
            return queue(answer, for: request, on: connection)
        }
        return .YES
    }

    private func receive(_ data: UnsafePointer<CChar>?, count: Int,
                         into request: InFlightRequest) {
        request.receivedBytes += count
        guard !request.isBodyOverLimit, let data else { return }
        guard request.body.count + count <= configuration.maxBodyBytes else {
            // Known shortcoming: a chunked body over the limit is read to its
            // end (and dropped) before the 413, because libmicrohttpd accepts
            // a response only before or after the body.
            request.isBodyOverLimit = true
            request.body = []
            return
        }
        data.withMemoryRebound(to: UInt8.self, capacity: count) {
            request.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: count))
        }
    }

    /// The whole request is in: decode it and start the handler's task.
    private func dispatch(_ request: InFlightRequest, on connection: OpaquePointer) -> MHD_Result {
        if request.isBodyOverLimit {
            return queue(HTTPError.bodyTooLarge(limit: configuration.maxBodyBytes).response,
                         for: request, on: connection)
        }
        if request.isQueryMalformed {
            let error = HTTPError(
                status: 400, code: .malformedQuery,
                message: "malformed query string: a parameter has a broken %-escape "
                    + "or is not UTF-8")
            return queue(error.response, for: request, on: connection)
        }
        let body: [UInt8]
        switch decodedBody(of: request) {
        case .success(let decoded): body = decoded
        case .failure(let error): return queue(error.response, for: request, on: connection)
        }

        let incoming = HTTPRequest(
            method: request.method, path: request.path, queryItems: request.queryItems,
            headers: request.headers, body: body, remoteAddress: request.remoteAddress)
        request.body = []
        request.phase.withLock { $0 = .handling }
        counters.withLock { $0.runningHandlers += 1 }
        MHD_suspend_connection(connection)
        let suspended = ConnectionHandle(pointer: connection)
        let handler = self.handler
        Task {
            let response = await handler.handle(incoming)
            request.phase.withLock { $0 = .answered(response) }
            // Counted before the handler's end: a stop that sees no handler
            // running sees every stream to cut (counted when the network
            // thread queued it, one queued after the stop looked was left
            // parked, and the library stopped with it suspended).
            self.counters.withLock { counters in
                if let stream = response.bodyStream {
                    counters.streams[ObjectIdentifier(stream)] = stream
                }
            }
            // Resuming is documented as safe from any thread at any time.
            MHD_resume_connection(suspended.pointer)
            self.counters.withLock { $0.runningHandlers -= 1 }
        }
        return .YES
    }

    private func decodedBody(of request: InFlightRequest) -> Result<[UInt8], HTTPError> {
        // A body sent without the header that starts with gzip's magic
        // bytes is gzip (`curl --data-binary @events.ndjson.gz`): no JSON,
        // NDJSON or CSV body starts with byte 0x1f. An explicit `identity`
        // is taken at its word.
        let declared = request.headers["Content-Encoding"]
        let isGzipByMagic = declared == nil && request.body.starts(with: [0x1f, 0x8b])
        let encoding = isGzipByMagic ? "gzip"
            : declared?.trimmingCharacters(in: .whitespaces).lowercased() ?? "identity"
        switch encoding {
        case "identity", "":
            return .success(request.body)
        case "gzip", "x-gzip":
            let limit = configuration.maxDecodedBodyBytes
            do {
                return .success(try Gzip.decompress(request.body, limit: limit))
            } catch {
                switch error {
                case .tooLarge:
                    return .failure(.bodyTooLarge(limit: limit, decoded: true))
                case .corrupt(let why):
                    return .failure(HTTPError(
                        status: 400, code: .malformedBody,
                        message: "malformed gzip body: \(why) (while decoding the request body)"))
                }
            }
        default:
            return .failure(HTTPError(
                status: 415, code: .unsupportedEncoding,
                message: "unsupported Content-Encoding: expected gzip or identity",
                details: ["field": "Content-Encoding"]))
        }
    }

    /// Hands `response` to libmicrohttpd, which sends it when the callback
    /// returns (or when the connection resumes).
    private func queue(_ response: HTTPResponse, for request: InFlightRequest,
                       on connection: OpaquePointer) -> MHD_Result {
        request.phase.withLock { $0 = .responded }
        var response = response
        var made = makeResponse(response, on: connection)
        if made == nil {
            // A header the library refuses (a control character): our bug
            // in a handler, answered as one rather than sent as is.
            if let stream = response.bodyStream { release(stream) }
            var failure = HTTPError.internalError().response
            failure.routeTemplate = response.routeTemplate
            response = failure
            made = makeResponse(response, on: connection)
        }
        guard let made else { return .NO }
        defer { MHD_destroy_response(made) }
        request.sentStatus = response.status
        request.sentBytes = response.body.count
        request.sentStream = response.bodyStream
        request.sentRoute = response.routeTemplate
        return MHD_queue_response(connection, UInt32(response.status), made)
    }

    private func makeResponse(_ response: HTTPResponse, on connection: OpaquePointer)
        -> OpaquePointer? {
        let made: OpaquePointer?
        if let stream = response.bodyStream {
            let body = StreamedBody(stream: stream, connection: ConnectionHandle(pointer: connection),
                                    server: self)
            let context = Unmanaged.passRetained(body).toOpaque()
            // 64 KB asked of the stream at a time; the size unknown, so
            // HTTP/1.1 gets chunked encoding.
            made = MHD_create_response_from_callback(UInt64.max, 64 << 10, streamReaderCallback,
                                                     context, streamFreeCallback)
            // Counted among the streams in flight when its handler ended.
            if made == nil { Unmanaged<StreamedBody>.fromOpaque(context).release() }
        } else {
            made = response.body.withUnsafeBytes { bytes in
                MHD_create_response_from_buffer(bytes.count, UnsafeMutableRawPointer(
                    mutating: bytes.baseAddress), .RESPMEM_MUST_COPY)
            }
        }
        guard let made else { return nil }
        var headers = response.headers
        // The answers carry an inventory's personal data and, once, a
        // token's secret: no cache on the way (a proxy, a browser's disk)
        // keeps a copy. Nor is a JSON body read as another type.
        for (name, value) in [("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")]
        where headers[name] == nil {
            headers.add(name: name, value: value)
        }
        for field in headers {
            // The library computes the length itself from the body.
            if field.name.lowercased() == "content-length" { continue }
            guard MHD_add_response_header(made, field.name, field.value) == .YES else {
                // Destroying it lets a stream go (its free callback).
                MHD_destroy_response(made)
                return nil
            }
        }
        return made
    }

    fileprivate func complete(_ request: InFlightRequest,
                              termination: MHD_RequestTerminationCode) {
        counters.withLock { $0.openRequests -= 1 }
        // An answer the library never came back for (the connection gone
        // as the handler ended): its stream's writer is told to stop.
        if case .answered(let response) = request.phase.withLock({ $0 }),
           let stream = response.bodyStream {
            release(stream)
        }
        guard let accessLog = configuration.accessLog else { return }
        let elapsed = ContinuousClock.now - request.startedAt
        let milliseconds = Double(elapsed.components.seconds) * 1000
            + Double(elapsed.components.attoseconds) / 1e15
        let ending: HTTPAccessLogRecord.Termination = switch termination {
        case .REQUEST_TERMINATED_COMPLETED_OK: .completed
        case .REQUEST_TERMINATED_TIMEOUT_REACHED: .timedOut
        case .REQUEST_TERMINATED_DAEMON_SHUTDOWN: .serverStopped
        case .REQUEST_TERMINATED_CLIENT_ABORT, .REQUEST_TERMINATED_READ_ERROR:
            .clientClosed
        default: .failed
        }
        accessLog(HTTPAccessLogRecord(
            method: HTTPMethod.known.contains(request.method) ? request.method.rawValue : "OTHER",
            route: request.sentRoute ?? "-", status: request.sentStatus,
            durationMilliseconds: milliseconds, requestBytes: request.receivedBytes,
            responseBytes: request.sentStream?.sentBytes ?? request.sentBytes,
            termination: ending))
    }

    /// A streamed body's response was let go by the library.
    fileprivate func release(_ stream: HTTPBodyStream) {
        stream.close()
        counters.withLock { _ = $0.streams.removeValue(forKey: ObjectIdentifier(stream)) }
    }

    fileprivate func log(_ message: String) {
        configuration.libraryLog?(message)
    }
}

/// `MHD_OPTION_UNESCAPE_CALLBACK`'s function, which the header does not name:
/// `size_t (*)(void *cls, struct MHD_Connection *c, char *s)`.
private typealias UnescapeCallback = @convention(c) (
    UnsafeMutableRawPointer?, OpaquePointer?, UnsafeMutablePointer<CChar>?) -> Int

/// A libmicrohttpd daemon pointer; shared between threads only as the
/// library allows (quiesce and stop from the thread that calls `stop()`).
private struct DaemonHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// A suspended connection, handed to the handler's task so that it can
/// resume it: the only call made on it off the network thread, and one the
/// library documents as safe from any thread.
private struct ConnectionHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// What the library's content reader callback is given for a streamed
/// body: the stream, the connection to park and resume, and the server
/// that keeps count of streams in flight. The library holds one retain,
/// given back in its free callback.
private final class StreamedBody: @unchecked Sendable {
    let stream: HTTPBodyStream
    let connection: ConnectionHandle
    let server: HTTPServer

    init(stream: HTTPBodyStream, connection: ConnectionHandle, server: HTTPServer) {
        self.stream = stream
        self.connection = connection
        self.server = server
    }
}

// MARK: - C callbacks: non-capturing, reaching the server through `cls`
//
// File-level rather than static members: the compiler crashed deserializing
// a static member of C function type with a va_list parameter.

private let accessCallback: MHD_AccessHandlerCallback = {
    cls, connection, url, method, _, uploadData, uploadDataSize, requestContext in
    guard let cls, let connection, let url, let method, let uploadDataSize,
          let requestContext else { return .NO }
    let server = Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue()
    return server.access(connection: connection, url: url, method: method,
                         uploadData: uploadData, uploadDataSize: uploadDataSize,
                         requestContext: requestContext)
}

private let completedCallback: MHD_RequestCompletedCallback = {
    cls, _, requestContext, termination in
    guard let cls, let requestContext, let pointer = requestContext.pointee else { return }
    requestContext.pointee = nil
    let server = Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue()
    let request = Unmanaged<InFlightRequest>.fromOpaque(pointer).takeRetainedValue()
    server.complete(request, termination: termination)
}

/// Parks the connection when the stream has nothing yet, as the library
/// prescribes (suspend from the content reader, answer 0); the next write
/// resumes it, and the library asks again.
private let streamReaderCallback: MHD_ContentReaderCallback = { cls, _, buffer, max in
    guard let cls, let buffer else { return -2 }
    let body = Unmanaged<StreamedBody>.fromOpaque(cls).takeUnretainedValue()
    let connection = body.connection
    let supply = body.stream.supply(
        into: UnsafeMutableRawBufferPointer(start: buffer, count: max),
        park: { MHD_suspend_connection(connection.pointer) },
        unpark: { MHD_resume_connection(connection.pointer) })
    switch supply {
    case .bytes(let count): return count
    case .parked: return 0
    case .finished: return -1  // MHD_CONTENT_READER_END_OF_STREAM
    case .failed: return -2    // MHD_CONTENT_READER_END_WITH_ERROR
    }
}

private let streamFreeCallback: MHD_ContentReaderFreeCallback = { cls in
    guard let cls else { return }
    let body = Unmanaged<StreamedBody>.fromOpaque(cls).takeRetainedValue()
    body.server.release(body.stream)
}

private let rawUnescapeCallback: UnescapeCallback = { _, _, text in
    guard let text else { return 0 }
    return strlen(text)
}

private let logCallback: MHD_LogCallback = { cls, format, arguments in
    guard let cls, let format, let arguments else { return }
    var buffer = [CChar](repeating: 0, count: 1024)
    let written = vsnprintf(&buffer, buffer.count, format, arguments)
    guard written >= 0 else { return }
    let text = String(decoding: buffer.prefix { $0 != 0 }.map(UInt8.init), as: UTF8.self)
    let server = Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue()
    server.log(text.trimmingCharacters(in: .whitespacesAndNewlines))
}
