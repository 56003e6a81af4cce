import PerimeterTestSupport
import Testing
@testable import PerimeterHTTP

@Suite struct RouterTests {
    static let router: Router = {
        var router = Router()
        let ok: Router.Handler = { _ in HTTPResponse(status: 200) }
        router.add(.get, "/v1/assets", handler: ok)
        router.add(.post, "/v1/assets", handler: ok)
        router.add(.get, "/v1/assets/{uuid}", handler: ok)
        router.add(.patch, "/v1/assets/{uuid}", handler: ok)
        router.add(.get, "/v1/assets/export", handler: ok)
        router.add(.post, "/v1/assets/{uuid}/atoms/confirm", handler: ok)
        router.add(.get, "/v1/jobs/{id}", handler: ok)
        router.add(.get, "/", handler: ok)
        return router
    }()

    typealias Expected = Router.Match

    @Test(arguments: [
        ("GET", "/v1/assets", Expected.found(
            route: .init(method: .get, template: "/v1/assets"), parameters: [:])),
        ("POST", "/v1/assets", .found(
            route: .init(method: .post, template: "/v1/assets"), parameters: [:])),
        ("GET", "/v1/assets/3f2a", .found(
            route: .init(method: .get, template: "/v1/assets/{uuid}"),
            parameters: ["uuid": "3f2a"])),
        // A literal segment beats a parameter in the same position.
        ("GET", "/v1/assets/export", .found(
            route: .init(method: .get, template: "/v1/assets/export"), parameters: [:])),
        // ...but when the literal route lacks the method, the parameter one serves it.
        ("PATCH", "/v1/assets/export", .found(
            route: .init(method: .patch, template: "/v1/assets/{uuid}"),
            parameters: ["uuid": "export"])),
        // An encoded slash stays inside its segment; escapes are decoded.
        ("GET", "/v1/assets/a%2Fb", .found(
            route: .init(method: .get, template: "/v1/assets/{uuid}"),
            parameters: ["uuid": "a/b"])),
        ("GET", "/v1/jobs/CORP%5Cadmin%20x", .found(
            route: .init(method: .get, template: "/v1/jobs/{id}"),
            parameters: ["id": "CORP\\admin x"])),
        // `+` in a path is a plus, not a space.
        ("GET", "/v1/jobs/a+b", .found(
            route: .init(method: .get, template: "/v1/jobs/{id}"), parameters: ["id": "a+b"])),
        ("POST", "/v1/assets/u1/atoms/confirm", .found(
            route: .init(method: .post, template: "/v1/assets/{uuid}/atoms/confirm"),
            parameters: ["uuid": "u1"])),
        ("HEAD", "/v1/jobs/7", .found(
            route: .init(method: .get, template: "/v1/jobs/{id}"), parameters: ["id": "7"])),
        ("GET", "/", .found(route: .init(method: .get, template: "/"), parameters: [:])),
        ("DELETE", "/v1/assets/u1", .methodNotAllowed(
            template: "/v1/assets/{uuid}", allowed: [.get, .head, .patch])),
        ("PUT", "/v1/assets", .methodNotAllowed(
            template: "/v1/assets", allowed: [.get, .head, .post])),
        ("GET", "/v1/assets/u1/atoms/confirm", .methodNotAllowed(
            template: "/v1/assets/{uuid}/atoms/confirm", allowed: [.post])),
        ("GET", "/v1/asset", .notFound),
        ("GET", "/v1/assets/", .notFound),      // an empty segment is no parameter
        ("GET", "/v1/assets/u1/extra/x", .notFound),
        ("GET", "/v2", .notFound),
        ("GET", "/v1/jobs/%zz", .malformedPath),
        ("GET", "/v1/jobs/%C3", .malformedPath), // not UTF-8 once decoded
    ] as [(String, String, Expected)])
    func matches(method: String, path: String, expected: Expected) {
        #expect(Self.router.match(HTTPMethod(rawValue: method), path: path) == expected)
    }

    @Test(arguments: [
        ("/v1/assets/{uuid}", true), ("/", true), ("/v1/{a}/{b}", true),
        ("v1/assets", false), ("/v1/{a}/{a}", false), ("/v1/x{a}", false),
        ("/v1/{}", false), ("/v1/{a}b", false),
    ])
    func parsesTemplates(text: String, isValid: Bool) {
        #expect((RouteTemplate(text) != nil) == isValid)
    }

    @Test func listsRoutesSortedForOpenAPIComparison() {
        let listed = Self.router.routes.map { "\($0.method) \($0.template)" }
        #expect(listed == [
            "GET /", "GET /v1/assets", "POST /v1/assets", "GET /v1/assets/export",
            "GET /v1/assets/{uuid}", "PATCH /v1/assets/{uuid}",
            "POST /v1/assets/{uuid}/atoms/confirm", "GET /v1/jobs/{id}",
        ])
    }

    @Test func handlerSeesParametersAndResponseCarriesTemplate() async {
        var router = Router()
        router.add(.get, "/v1/assets/{uuid}/history") { request in
            .text("\(request.pathParameters["uuid"] ?? "-") \(request.routeTemplate ?? "-")")
        }
        let response = await router.handle(HTTPRequest(method: .get,
                                                       path: "/v1/assets/abc/history"))
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self)
                == "abc /v1/assets/{uuid}/history")
        #expect(response.routeTemplate == "/v1/assets/{uuid}/history")
    }

    @Test func thrownErrorsBecomeJSONErrors() async {
        struct Unexpected: Error {}
        var router = Router()
        router.add(.get, "/teapot") { _ in
            throw HTTPError(status: 418, code: "teapot", message: "short and stout")
        }
        router.add(.get, "/boom") { _ in throw Unexpected() }
        let teapot = await router.handle(HTTPRequest(method: .get, path: "/teapot"))
        #expect(teapot.status == 418)
        #expect(String(decoding: teapot.body, as: UTF8.self)
                == #"{"error":{"code":"teapot","message":"short and stout","details":{}}}"#)
        let boom = await router.handle(HTTPRequest(method: .get, path: "/boom"))
        #expect(boom.status == 500)
        #expect(boom.routeTemplate == "/boom")
        #expect(String(decoding: boom.body, as: UTF8.self).contains(#""internal_error""#))
    }

    /// A target that is no path (a proxy's absolute form, `OPTIONS *`) is
    /// answered as such, not as a broken %-escape.
    @Test func aTargetThatIsNoPathIsSaidToBeOne() async {
        for (method, target) in [(HTTPMethod.get, "http://example.org/v1/assets"),
                                 (HTTPMethod(rawValue: "OPTIONS"), "*")] {
            let response = await Self.router.handle(HTTPRequest(method: method, path: target))
            #expect(response.status == 400)
            #expect(String(decoding: response.body, as: UTF8.self)
                .contains("it must be a path starting with '/'"), "\(target)")
        }
    }

    @Test func methodNotAllowedNamesAllowedMethods() async {
        let response = await Self.router.handle(HTTPRequest(method: .delete, path: "/v1/assets"))
        #expect(response.status == 405)
        #expect(response.headers["allow"] == "GET, HEAD, POST")
        #expect(response.routeTemplate == "/v1/assets")
    }
}
