/// An error answered to the client, always as
/// `{"error": {"code": …, "message": …, "details": {…}}}`.
///
/// Messages and details name fields and positions, never the personal
/// values of the request (SPEC §8): no paths, no query values, no tokens.
public struct HTTPError: Error, Sendable, Equatable {
    /// A stable, extensible, machine-readable error code (`not_found`).
    public struct Code: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral,
        CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { rawValue = value }
        public var description: String { rawValue }

        public static let badRequest: Code = "bad_request"
        public static let malformedPath: Code = "malformed_path"
        public static let malformedQuery: Code = "malformed_query"
        public static let malformedBody: Code = "malformed_body"
        public static let notFound: Code = "not_found"
        public static let methodNotAllowed: Code = "method_not_allowed"
        public static let bodyTooLarge: Code = "body_too_large"
        public static let unsupportedEncoding: Code = "unsupported_content_encoding"
        public static let serviceUnavailable: Code = "service_unavailable"
        public static let internalError: Code = "internal_error"
    }

    public var status: Int
    public var code: Code
    /// "what failed: why (while doing what)", for people.
    public var message: String
    public var details: [String: HTTPErrorDetail]
    /// Extra header fields, such as `Allow` on a 405.
    public var headers: HTTPHeaders

    public init(status: Int, code: Code, message: String,
                details: [String: HTTPErrorDetail] = [:], headers: HTTPHeaders = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    /// The response that carries this error.
    public var response: HTTPResponse {
        var json = "{\"error\":{\"code\":"
        HTTPErrorDetail.string(code.rawValue).write(to: &json)
        json += ",\"message\":"
        HTTPErrorDetail.string(message).write(to: &json)
        json += ",\"details\":"
        HTTPErrorDetail.object(details).write(to: &json)
        json += "}}"
        var response = HTTPResponse.json(encoded: Array(json.utf8), status: status)
        for field in headers {
            response.headers.set(name: field.name, value: field.value)
        }
        return response
    }
}

extension HTTPError {
    public static func badRequest(_ message: String,
                                  details: [String: HTTPErrorDetail] = [:]) -> HTTPError {
        HTTPError(status: 400, code: .badRequest, message: message, details: details)
    }

    public static func notFound() -> HTTPError {
        HTTPError(status: 404, code: .notFound,
                  message: "no such resource: no route matches the request path")
    }

    public static func methodNotAllowed(_ method: HTTPMethod, allowed: [HTTPMethod],
                                        route: String) -> HTTPError {
        let names = allowed.sorted().map(\.rawValue)
        // A token of the client's own is not echoed (it read "OTHER").
        let shown = HTTPMethod.known.contains(method) ? method.rawValue : "the request's method"
        return HTTPError(
            status: 405, code: .methodNotAllowed,
            message: "method not allowed: \(shown) is not one of "
                + "\(names.joined(separator: ", ")) (for route \(route))",
            details: ["allowed": .list(names.map { .string($0) }), "route": .string(route)],
            headers: ["Allow": names.joined(separator: ", ")])
    }

    public static func bodyTooLarge(limit: Int, decoded: Bool = false) -> HTTPError {
        HTTPError(
            status: 413, code: .bodyTooLarge,
            message: decoded
                ? "request body too large: it exceeds \(limit) bytes once decompressed"
                : "request body too large: it exceeds the limit of \(limit) bytes",
            details: ["limit_bytes": .int(limit), "decoded": .bool(decoded)])
    }

    public static func internalError() -> HTTPError {
        HTTPError(status: 500, code: .internalError,
                  message: "internal error: the server failed to answer this request")
    }
}

/// A JSON value in the `details` of an error.
public indirect enum HTTPErrorDetail: Sendable, Equatable, ExpressibleByStringLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral {
    case string(String)
    case int(Int)
    case bool(Bool)
    case list([HTTPErrorDetail])
    case object([String: HTTPErrorDetail])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: HTTPErrorDetail...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, HTTPErrorDetail)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    /// Appends the JSON text of this value; object keys come out sorted so
    /// that bodies are stable.
    func write(to output: inout String) {
        switch self {
        case .string(let text): Self.writeString(text, to: &output)
        case .int(let number): output += String(number)
        case .bool(let flag): output += flag ? "true" : "false"
        case .list(let values):
            output += "["
            for (index, value) in values.enumerated() {
                if index > 0 { output += "," }
                value.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { output += "," }
                Self.writeString(key, to: &output)
                output += ":"
                members[key]!.write(to: &output)
            }
            output += "}"
        }
    }

    private static func writeString(_ text: String, to output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
