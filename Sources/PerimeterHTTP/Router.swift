/// Sends each request to the handler of its method and route template.
///
/// No template fits the path: 404. A template fits but not for this
/// method: 405 with `Allow`. A path segment with a broken `%`-escape: 400.
/// Every response carries its route template for the access log. A handler
/// may throw an `HTTPError` to answer it; any other error answers a 500
/// whose body says nothing about the cause (it is reported to
/// `unexpectedErrorHook` instead).
public struct Router: HTTPHandler {
    public typealias Handler = @Sendable (HTTPRequest) async throws -> HTTPResponse

    /// One registered method and template.
    public struct Route: Sendable, Hashable {
        public let method: HTTPMethod
        public let template: String
    }

    /// The outcome of matching a method and path.
    public enum Match: Sendable, Equatable {
        case found(route: Route, parameters: [String: String])
        case methodNotAllowed(template: String, allowed: [HTTPMethod])
        case notFound
        case malformedPath
    }

    private struct Entry: Sendable {
        let template: RouteTemplate
        var handlers: [HTTPMethod: Handler]
    }

    private var entries: [Entry] = []

    /// Told about errors that are not `HTTPError`s, with the route template.
    public var unexpectedErrorHook: (@Sendable (any Error, String) -> Void)?

    /// Rewrites every error a handler throws before it is answered, with
    /// the request it answers (the API takes the caller's values out).
    public var errorFilter: (@Sendable (HTTPError, HTTPRequest) -> HTTPError)?

    /// Checks a routed request's head before its body is read (the API's
    /// tokens and roles), with the route that will serve it (a HEAD
    /// request's is the GET route): an error it returns is the answer,
    /// through `errorFilter`, and the body is never read. It runs on a
    /// network thread: it must be quick.
    public var admission: (@Sendable (Route, HTTPRequest) -> HTTPError?)?

    public init() {}

    /// Registers `handler` for `method` on `template`.
    ///
    /// A malformed template or a route registered twice is a programming
    /// error in the route table, so it traps.
    public mutating func add(_ method: HTTPMethod, _ template: String,
                             handler: @escaping Handler) {
        guard let parsed = RouteTemplate(template) else {
            preconditionFailure("invalid route template '\(template)'")
        }
        if let index = entries.firstIndex(where: { $0.template == parsed }) {
            precondition(entries[index].handlers[method] == nil,
                         "route \(method) \(template) is registered twice")
            entries[index].handlers[method] = handler
        } else {
            entries.append(Entry(template: parsed, handlers: [method: handler]))
        }
    }

    /// Every registered route, sorted by template then method: what an
    /// OpenAPI description must document.
    public var routes: [Route] {
        entries.flatMap { entry in
            entry.handlers.keys.map { Route(method: $0, template: entry.template.text) }
        }
        .sorted { ($0.template, $0.method) < ($1.template, $1.method) }
    }

    /// Finds the route for `method` and `path` (percent-encoded, no query).
    public func match(_ method: HTTPMethod, path: String) -> Match {
        guard let segments = Self.decodedSegments(of: path) else { return .malformedPath }
        guard let (entry, parameters, handlerMethod, _) =
                resolve(method, segments: segments) else { return .notFound }
        guard let handlerMethod else {
            return .methodNotAllowed(template: entry.template.text,
                                     allowed: allowedMethods(entry))
        }
        return .found(route: Route(method: handlerMethod, template: entry.template.text),
                      parameters: parameters)
    }

    /// A path no route fits or a method its route does not serve is
    /// answered from the head as it would be whole; a routed head goes to
    /// `admission`.
    public func admit(_ head: HTTPRequest) -> HTTPResponse? {
        let (routed, served): (HTTPRequest, Route)
        switch route(head) {
        case .answered(let response): return response
        case .routed(let request, let route, _): (routed, served) = (request, route)
        }
        guard let error = admission?(served, routed) else { return nil }
        var response = (errorFilter?(error, routed) ?? error).response
        response.routeTemplate = routed.routeTemplate
        return response
    }

    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        let (routed, handler): (HTTPRequest, Handler)
        switch route(request) {
        case .answered(let response): return response
        case .routed(let request, _, let found): (routed, handler) = (request, found)
        }
        let template = routed.routeTemplate ?? ""
        var response: HTTPResponse
        do {
            response = try await handler(routed)
        } catch let error as HTTPError {
            response = (errorFilter?(error, routed) ?? error).response
        } catch {
            unexpectedErrorHook?(error, template)
            response = HTTPError.internalError().response
        }
        response.routeTemplate = template
        return response
    }

    // MARK: - Matching

    private enum Routing {
        /// No handler serves it: the 400, 404 or 405 that answers it.
        case answered(HTTPResponse)
        /// The request with its path parameters and template, the route
        /// that serves it, and its handler.
        case routed(HTTPRequest, Route, Handler)
    }

    private func route(_ request: HTTPRequest) -> Routing {
        // A proxy's absolute form (`http://host/v1/assets`) or `OPTIONS *`
        // was answered "a segment has a broken %-escape", not its cause.
        guard request.path.hasPrefix("/") else {
            return .answered(HTTPError(status: 400, code: .malformedPath,
                                       message: "malformed request target: it must be a path "
                                           + "starting with '/' (this is no proxy)").response)
        }
        guard let segments = Self.decodedSegments(of: request.path) else {
            return .answered(HTTPError(status: 400, code: .malformedPath,
                                       message: "malformed path: a segment has a broken "
                                           + "%-escape or is not UTF-8").response)
        }
        guard let (entry, parameters, handlerMethod, handler) =
                resolve(request.method, segments: segments) else {
            return .answered(HTTPError.notFound().response)
        }
        let template = entry.template.text
        guard let handler, let handlerMethod else {
            var response = HTTPError.methodNotAllowed(
                request.method, allowed: allowedMethods(entry), route: template).response
            response.routeTemplate = template
            return .answered(response)
        }
        var routed = request
        routed.pathParameters = parameters
        routed.routeTemplate = template
        return .routed(routed, Route(method: handlerMethod, template: template), handler)
    }

    /// The most specific template that fits and serves `method` (HEAD falls
    /// back to GET); failing that, the most specific template that fits,
    /// with no handler.
    private func resolve(_ method: HTTPMethod, segments: [String])
        -> (Entry, [String: String], HTTPMethod?, Handler?)? {
        var fitting: [(Entry, [String: String])] = []
        for entry in entries {
            if let parameters = entry.template.match(segments) {
                fitting.append((entry, parameters))
            }
        }
        guard !fitting.isEmpty else { return nil }
        fitting.sort { $0.0.template.isMoreSpecific(than: $1.0.template) }
        for (entry, parameters) in fitting {
            if let handler = entry.handlers[method] {
                return (entry, parameters, method, handler)
            }
            if method == .head, let handler = entry.handlers[.get] {
                return (entry, parameters, .get, handler)
            }
        }
        return (fitting[0].0, fitting[0].1, nil, nil)
    }

    private func allowedMethods(_ entry: Entry) -> [HTTPMethod] {
        var methods = Set(entry.handlers.keys)
        if methods.contains(.get) { methods.insert(.head) }
        return methods.sorted()
    }

    /// The path split at `/` and then percent-decoded, so that an encoded
    /// slash stays inside its segment; nil when an escape is broken.
    static func decodedSegments(of path: String) -> [String]? {
        guard path.hasPrefix("/") else { return nil }
        var segments: [String] = []
        for part in path.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            guard let decoded = PercentDecoding.decode(part, plusIsSpace: false) else {
                return nil
            }
            segments.append(decoded)
        }
        return segments
    }
}
