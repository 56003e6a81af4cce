/// One query parameter, decoded (`+` and `%XX`), in the order sent.
public struct HTTPQueryItem: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A complete HTTP request: the server hands it over once the whole body
/// has arrived (and has been gunzipped when it was sent gzip-encoded).
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The path as sent, still percent-encoded, without the query. The
    /// router decodes it segment by segment, so that `%2F` inside a
    /// segment stays inside it.
    public var path: String
    /// Every query parameter, decoded, in order; a repeated name such as
    /// `?tag=a&tag=b` appears once per value.
    public var queryItems: [HTTPQueryItem]
    public var headers: HTTPHeaders
    /// The body after content decoding.
    public var body: [UInt8]
    /// The client's address as `ip:port` (`[ip]:port` for IPv6), when known.
    public var remoteAddress: String?
    /// The values of the `{name}` segments of the matched route.
    public var pathParameters: [String: String] = [:]
    /// The template of the matched route, such as `/v1/assets/{uuid}`.
    public var routeTemplate: String?

    public init(method: HTTPMethod, path: String, queryItems: [HTTPQueryItem] = [],
                headers: HTTPHeaders = [:], body: [UInt8] = [],
                remoteAddress: String? = nil) {
        self.method = method
        self.path = path
        self.queryItems = queryItems
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// The decoded query: the first value of each name.
    public var query: [String: String] {
        var result: [String: String] = [:]
        for item in queryItems where result[item.name] == nil {
            result[item.name] = item.value
        }
        return result
    }

    /// Every value given for the query parameter `name`.
    public func queryValues(_ name: String) -> [String] {
        queryItems.filter { $0.name == name }.map(\.value)
    }
}
