import PerimeterTestSupport
import Testing
import PerimeterHTTP

@Suite struct HTTPErrorTests {
    @Test(arguments: [
        (HTTPError.notFound(), 404,
         #"{"error":{"code":"not_found","message":"no such resource: no route matches the "#
            + #"request path","details":{}}}"#),
        (HTTPError.bodyTooLarge(limit: 100), 413,
         #"{"error":{"code":"body_too_large","message":"request body too large: it exceeds "#
            + #"the limit of 100 bytes","details":{"decoded":false,"limit_bytes":100}}}"#),
        (HTTPError(status: 400, code: "bad_row", message: "bad \"row\"\n",
                   details: ["rows": [3, 7], "column": "name", "nested": ["ok": true]]), 400,
         #"{"error":{"code":"bad_row","message":"bad \"row\"\n","details":{"column":"name","#
            + #""nested":{"ok":true},"rows":[3,7]}}}"#),
        (HTTPError(status: 400, code: "x", message: "tab\there\u{1}"), 400,
         #"{"error":{"code":"x","message":"tab\there\u0001","details":{}}}"#),
    ])
    func hasOneShape(error: HTTPError, status: Int, body: String) {
        let response = error.response
        #expect(response.status == status)
        #expect(response.headers["content-type"] == "application/json")
        #expect(String(decoding: response.body, as: UTF8.self) == body)
    }

    @Test func methodNotAllowedHidesUnknownMethodTokens() {
        let error = HTTPError.methodNotAllowed("EVIL<script>", allowed: [.post, .get],
                                               route: "/v1/x")
        #expect(error.message == "method not allowed: the request's method is not one of "
                + "GET, POST (for route /v1/x)")
        #expect(error.response.headers["Allow"] == "GET, POST")
        // A standard method is named.
        #expect(HTTPError.methodNotAllowed("TRACE", allowed: [.get], route: "/v1/x").message
                == "method not allowed: TRACE is not one of GET (for route /v1/x)")
    }

    @Test(arguments: [
        (HTTPAccessLogRecord(method: "GET", route: "/v1/assets/{uuid}", status: 200,
                             durationMilliseconds: 1.25, requestBytes: 0, responseBytes: 512,
                             termination: .completed),
         "method=GET route=/v1/assets/{uuid} status=200 duration_ms=1.250 request_bytes=0 "
            + "bytes=512 termination=completed"),
        (HTTPAccessLogRecord(method: "POST", route: "-", status: 0,
                             durationMilliseconds: 1000.0004, requestBytes: 10,
                             responseBytes: 0, termination: .timedOut),
         "method=POST route=- status=0 duration_ms=1000.000 request_bytes=10 bytes=0 "
            + "termination=timed_out"),
    ])
    func accessLogLines(record: HTTPAccessLogRecord, line: String) {
        #expect(record.line == line)
    }

    @Test func headersAreCaseInsensitive() {
        var headers: HTTPHeaders = ["Content-Type": "a", "X-Tag": "1"]
        headers.add(name: "x-tag", value: "2")
        #expect(headers["content-type"] == "a")
        #expect(headers.values(for: "X-TAG") == ["1", "2"])
        headers.set(name: "X-Tag", value: "3")
        #expect(headers.values(for: "x-tag") == ["3"])
    }
}
