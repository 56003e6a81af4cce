import PerimeterTestSupport
import Foundation
import Testing
import PerimeterHTTP

@Suite(.serialized) struct HTTPServerTLSTests {
    /// A self-signed certificate for 127.0.0.1, made by the openssl tool.
    static func makeCertificate(in directory: URL) throws -> (cert: String, key: String) {
        let cert = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        try runTool("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", key, "-out", cert,
        ])
        return (cert, key)
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("perimeter-http-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func servesHTTPSWithAGeneratedCertificate() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (cert, key) = try Self.makeCertificate(in: directory)
        let server = try startServer {
            $0.tls = .init(certificatePath: cert, privateKeyPath: key)
        }
        defer { server.stop() }
        let port = server.boundPort

        // openssl s_client verifies the server against the certificate.
        let request = "GET /v1/assets/tls-1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Connection: close\r\n\r\n"
        let output = try await offPool {
            try runTool("/usr/bin/openssl", [
                "s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", cert,
                "-verify_return_error", "-quiet", "-servername", "127.0.0.1",
            ], input: Array(request.utf8))
        }
        let text = String(decoding: output, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200"))
        #expect(text.contains(#""parameters":{"uuid":"tls-1"}"#))

        // Plain HTTP on the TLS port gets no HTTP answer.
        let plain = try await offPool { () -> Bool in
            let connection = try RawHTTPConnection(port: port, receiveTimeoutSeconds: 3)
            try connection.sendRequest("GET", "/v1/atoms")
            return (try? connection.receiveResponse()) != nil
        }
        #expect(!plain)
    }

    @Test func refusesMissingOrInvalidTLSFiles() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let garbage = directory.appendingPathComponent("garbage.pem").path
        try Data("not a certificate".utf8).write(to: URL(fileURLWithPath: garbage))

        var missing = HTTPServerConfiguration(port: 0)
        missing.tls = .init(certificatePath: directory.path + "/none.pem",
                            privateKeyPath: garbage)
        do {
            _ = try HTTPServer(configuration: missing, handler: makeEchoRouter())
            Issue.record("a missing certificate was accepted")
        } catch {
            #expect(error.code == .tlsFileUnreadable)
            #expect(error.message.contains("none.pem"))
        }

        var invalid = HTTPServerConfiguration(port: 0)
        invalid.tls = .init(certificatePath: garbage, privateKeyPath: garbage)
        let server = try HTTPServer(configuration: invalid, handler: makeEchoRouter())
        do {
            try server.start()
            Issue.record("an invalid certificate was accepted")
        } catch {
            #expect(error.code == .startFailed)
        }
    }
}
