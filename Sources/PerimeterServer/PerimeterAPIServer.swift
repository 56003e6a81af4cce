import Foundation
import PerimeterHTTP
import PerimeterIngest
import PerimeterStore
import Synchronization

/// How `perimeter serve` runs.
public struct PerimeterServerOptions: Sendable {
    public var storePath: String
    public var configuration: PerimeterConfiguration
    /// The Sigma rules and filters intake detects with (none by default).
    public var detection = DetectionSettings()
    public var http: HTTPServerConfiguration
    /// Assets per bulk-job transaction: about a quarter of a second of
    /// writing at a million assets; smaller chunks rewrite the same index
    /// pages in more commits (100,000 assets: 8 s in chunks of 1,000, 4.9 s
    /// in chunks of 5,000).
    public var jobChunkSize = 5_000
    /// A pause between job chunks (tests use it to stop a job midway).
    public var jobChunkPauseMilliseconds = 0
    /// How long a job runs chunks back to back before the writer takes
    /// other work (each chunk still commits on its own). Intake holds the
    /// writer for a whole chunk of lines, so a job needs turns about as
    /// long to go on at a useful pace beside it.
    public var jobTurnMilliseconds = 500
    /// Intake lines per writer turn, so edits interleave with a large body.
    public var intakeChunkLines = 5_000
    /// SQLite connections for reads (lists, exports, audit): a long read
    /// holds one, and the others serve the rest meanwhile.
    public var readConnections = 4
    /// Where log lines go (one line each, key=value, no personal values).
    public var log: @Sendable (String) -> Void = { _ in }

    public init(storePath: String, configuration: PerimeterConfiguration = .init(),
                http: HTTPServerConfiguration = .init()) {
        self.storePath = storePath
        self.configuration = configuration
        self.http = http
    }
}

/// The Perimeter HTTP JSON API: one writer (`InventoryService`), a pool
/// of reader connections, the bulk-job scheduler and the HTTP server.
public final class PerimeterAPIServer: Sendable {
    let handlers: APIHandlers
    private let http: HTTPServer
    private let scheduler: JobScheduler

    /// The port served (the system's pick when the options asked for 0).
    public var port: Int { http.boundPort }

    public init(options: PerimeterServerOptions) throws {
        let service = try InventoryService(path: options.storePath,
                                           configuration: options.configuration,
                                           detection: options.detection)
        let readers = try StoreReaderPool(path: options.storePath,
                                          connections: options.readConnections)
        let metrics = ServerMetrics()
        scheduler = JobScheduler(service: service, chunkSize: options.jobChunkSize,
                                 pauseMilliseconds: options.jobChunkPauseMilliseconds,
                                 turnMilliseconds: options.jobTurnMilliseconds)
        handlers = APIHandlers(service: service, readers: readers,
                               tokens: try TokenVerifier(path: options.storePath),
                               metrics: metrics, scheduler: scheduler, options: options)
        var router = Router()
        var routesByKey: [String: APIRoute] = [:]
        for route in APIHandlers.routes {
            let handlers = handlers
            router.add(route.method, route.template) { request in
                try await handlers.handle(route, request)
            }
            routesByKey["\(route.method.rawValue) \(route.template)"] = route
        }
        let routes = routesByKey
        router.admission = { [handlers] served, head in
            guard let route = routes["\(served.method.rawValue) \(served.template)"] else {
                return nil
            }
            return handlers.admit(route, head)
        }
        let log = options.log
        router.errorFilter = { error, request in
            CallerValues(of: request).scrub(error)
        }
        router.unexpectedErrorHook = { error, route in
            log("unexpected error route=\(route) error=\(type(of: error))")
        }
        var configuration = options.http
        let accessLog = configuration.accessLog
        configuration.accessLog = { record in
            metrics.record(record)
            accessLog?(record)
        }
        http = try HTTPServer(configuration: configuration, handler: router)
    }

    /// Serves, and resumes the bulk jobs a previous run left unfinished.
    public func start() async throws {
        try http.start()
        for job in try await handlers.service.abandonCommandLineJobs() {
            handlers.options.log("warning command-line job left unfinished marked failed "
                                 + "job=\(job.id) action=\(job.action) done=\(job.done) "
                                 + "total=\(job.total)")
        }
        for id in try await handlers.service.unfinishedJobIDs() {
            await scheduler.enqueue(id)
        }
        for line in await handlers.service.detectionLoadLines() { handlers.options.log(line) }
        if let warning = await handlers.service.addressExpiryWarning() {
            handlers.options.log(warning)
        }
        // A store with no token that can sign in (a mistyped --db, a new
        // store) answered every request 401 and said nothing why.
        if try await handlers.service.usableTokenCount() == 0 {
            handlers.options.log("warning no usable token in the store: every request but "
                                 + "/healthz is refused (perimeter tokens create makes one)")
        }
        handlers.options.log("server started port=\(port) "
                             + "store=\(LogField.value(handlers.options.storePath))")
        await handlers.pruneIfDue()
    }

    /// Stops gracefully: requests in flight finish, the running job chunk
    /// commits (the job resumes at the next start), the store is flushed.
    public func stop() async {
        http.stop()
        await scheduler.stop()
        do { try await handlers.service.flush() } catch {
            handlers.options.log("flush failed error=\(type(of: error))")
        }
        handlers.options.log("server stopped")
    }

    /// The OpenAPI 3.1 description of the routes served.
    public static var openAPIDocument: [String: Any] { OpenAPIDocument.make() }
}

/// Runs bulk jobs one at a time, a chunk per writer turn, yielding between
/// chunks so that intake and requests go on.
actor JobScheduler {
    private let service: InventoryService
    private let chunkSize: Int
    private let pauseMilliseconds: Int
    private let turn: Swift.Duration
    private var queue: [String] = []
    private var runner: Task<Void, Never>?
    private var stopped = false

    init(service: InventoryService, chunkSize: Int, pauseMilliseconds: Int,
         turnMilliseconds: Int) {
        self.service = service
        self.chunkSize = chunkSize
        self.pauseMilliseconds = pauseMilliseconds
        // A pause asks for one chunk at a time.
        turn = pauseMilliseconds > 0 ? .zero : .milliseconds(turnMilliseconds)
    }

    func enqueue(_ id: String) {
        guard !stopped else { return }
        queue.append(id)
        if runner == nil {
            runner = Task { await self.drain() }
        }
    }

    private func drain() async {
        while let id = queue.first {
            while !Task.isCancelled {
                if await service.runChunks(ofJob: id, size: chunkSize, for: turn) { break }
                if pauseMilliseconds > 0 {
                    try? await Task.sleep(for: .milliseconds(pauseMilliseconds))
                } else {
                    await Task.yield()
                }
            }
            if Task.isCancelled { return }
            queue.removeFirst()
        }
        runner = nil
    }

    /// Stops after the chunk in progress (a turn checks between chunks
    /// whether it was cancelled); unfinished jobs stay `running`
    /// in the store and resume at the next start.
    func stop() async {
        stopped = true
        let task = runner
        task?.cancel()
        await task?.value
    }
}
