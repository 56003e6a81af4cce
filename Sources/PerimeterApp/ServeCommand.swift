import Dispatch
import Foundation
import Synchronization
import PerimeterHTTP
import PerimeterIngest
import PerimeterServer

/// `perimeter serve`: the HTTP JSON API over the store.
enum ServeCommand {
    static let spec = CommandSpec(
        name: "serve", summary: "Serve the HTTP JSON API (OpenAPI at /openapi.json): "
            + "inventory management, bulk jobs, event intake and metrics. Stops gracefully "
            + "on SIGINT or SIGTERM (new connections refused, requests in flight finished); a "
            + "second signal quits at once.",
        usage: "serve [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE] [--rules PATH]",
        options: [CommonOptions.store[0], CommonOptions.store[1]] + [
            .init(name: "--listen", valueName: "HOST:PORT",
                  help: "Where to listen (default 127.0.0.1:8740, loopback only)."),
            .init(name: "--tls-cert", valueName: "FILE", help: "PEM certificate: serve HTTPS."),
            .init(name: "--tls-key", valueName: "FILE", help: "PEM private key of --tls-cert."),
            .init(name: "--max-body", valueName: "BYTES",
                  help: "Largest request body accepted (default 16 MiB)."),
            .init(name: "--timeout", valueName: "SECONDS",
                  help: "Idle connection timeout (default 30)."),
            .init(name: "--read-connections", valueName: "N",
                  help: "SQLite connections for reads (default 4): a long export holds one, "
                      + "the others serve the rest meanwhile."),
            .init(name: "--quiet", valueName: nil, help: "No access log on standard error."),
            .init(name: "--rules", valueName: "PATH",
                  help: "Sigma rules (file or folder, read recursively) run on every event "
                      + "sent to POST /v1/events; alerts go into the store (repeatable).",
                  isRepeatable: true),
            .init(name: "--filters", valueName: "PATH",
                  help: "Sigma alert filters that suppress matches (repeatable).",
                  isRepeatable: true),
        ],
        example: "perimeter serve --listen 127.0.0.1:8740 --db perimeter.db",
        takesArguments: false)

    /// One structured line on standard error (`time=… level=… event=…`).
    @Sendable private static func log(_ line: String) {
        Terminal.write(ServerLogLine.format(line, at: Date()) + "\n")
    }

    static func run(_ raw: [String]) throws -> Int32 {
        guard let arguments = try spec.parse(raw) else { return 0 }
        var http = HTTPServerConfiguration()
        if let listen = arguments.value("--listen") {
            guard let colon = listen.lastIndex(of: ":"),
                  let port = Int(listen[listen.index(after: colon)...]), (0...65_535).contains(port)
            else { throw UsageError("'--listen' takes HOST:PORT, such as 127.0.0.1:8740") }
            http.host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            http.port = port
        }
        switch (arguments.value("--tls-cert"), arguments.value("--tls-key")) {
        case (let cert?, let key?): http.tls = .init(certificatePath: cert, privateKeyPath: key)
        case (nil, nil): break
        default: throw UsageError("'--tls-cert' and '--tls-key' go together")
        }
        if let bytes = try arguments.int("--max-body", in: 1...(1 << 30)) { http.maxBodyBytes = bytes }
        if let seconds = try arguments.int("--timeout", in: 1...3_600) {
            http.connectionTimeoutSeconds = seconds
        }
        if !arguments.flag("--quiet") {
            http.accessLog = { record in log("request " + record.line) }
        }
        let configuration = try CommonOptions.configuration(arguments)
        let storePath = try CommonOptions.databasePath(arguments)
        // A mistyped --db served a new, empty store, whose server then
        // refused every token as unknown.
        try CommonOptions.requireStore(
            at: storePath, madeBy: "'perimeter tokens create --db \(storePath) …' makes it with "
                + "the server's first token, an ingest with its events")
        var options = PerimeterServerOptions(storePath: storePath,
                                             configuration: configuration, http: http)
        options.detection = try detectionSettings(arguments, configuration: configuration)
        if let count = try arguments.int("--read-connections", in: 1...64) {
            options.readConnections = count
        }
        options.log = log
        let server = try PerimeterAPIServer(options: options)
        try blocking { try await server.start() }
        // An IPv6 host is bracketed in a URL (`http://[::1]:8740`).
        let host = http.host.contains(":") ? "[\(http.host)]" : http.host
        log("listening url=\(http.tls == nil ? "http" : "https")://\(host):\(server.port)")
        // Loopback is the default; anything else without TLS sends tokens
        // and events in clear over the network.
        let loopback = ["127.0.0.1", "::1", "localhost"].contains(http.host)
            || http.host.hasPrefix("127.")
        if !loopback && http.tls == nil {
            log("warning listening beyond loopback without TLS: API tokens and events cross the "
                + "network in clear (give --tls-cert and --tls-key, or put a TLS proxy in front) "
                + "host=\(LogField.value(http.host))")
        }

        let stop = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        // The first signal drains the requests in flight; a second quits at
        // once, as an ingest does (it was ignored, and a drain held by a
        // long request could only be ended by SIGKILL). The store is whole
        // either way: an unfinished transaction is rolled back.
        let signalsReceived = Mutex(0)
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber)
            source.setEventHandler {
                // Dispatch merges the signals that come before the handler
                // runs: `data` says how many (two at once were one).
                let arrived = max(Int(source.data), 1)
                let (before, after) = signalsReceived.withLock { count in
                    defer { count += arrived }
                    return (count, count + arrived)
                }
                if before == 0 { stop.signal() }
                if after >= 2 {
                    log("stopping now second_signal=\(signalNumber) requests_in_flight=cut")
                    _exit(128 + signalNumber)
                }
            }
            source.resume()
            sources.append(source)
        }
        stop.wait()
        log("stopping finishing=requests_in_flight")
        try blocking { await server.stop() }
        sources.forEach { $0.cancel() }
        return 0
    }

    /// The configuration's `detection:` section, with `--rules` and
    /// `--filters` in place of its paths when given.
    static func detectionSettings(_ arguments: ParsedArguments,
                                  configuration: PerimeterConfiguration) throws
        -> DetectionSettings {
        var settings = try DetectionSettings(configuration: configuration)
        let rules = arguments.all("--rules")
        let filters = arguments.all("--filters")
        if !rules.isEmpty { settings.rulePaths = rules }
        if !filters.isEmpty { settings.filterPaths = filters }
        try IngestCommand.refuseFiltersWithoutRules(settings, filtersGiven: !filters.isEmpty)
        try IngestCommand.refuseMissingRulePaths(settings)
        return settings
    }

    /// Runs async work from this synchronous command and waits for it.
    static func blocking(_ body: @escaping @Sendable () async throws -> Void) throws {
        let done = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        Task {
            do { try await body() } catch { failure.set(error) }
            done.signal()
        }
        done.wait()
        if let error = failure.get() { throw error }
    }
}

/// The error of a task, handed back to the waiting thread.
final class FailureBox: @unchecked Sendable {
    // @unchecked: written once by the task before it signals, read by the
    // waiter after the semaphore: the semaphore orders the two.
    private var error: (any Error)?
    func set(_ error: any Error) { self.error = error }
    func get() -> (any Error)? { error }
}
