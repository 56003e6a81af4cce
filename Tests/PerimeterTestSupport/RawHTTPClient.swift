import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny blocking HTTP/1.1 client over a raw loopback socket, so that the
/// tests control every byte (stalls, garbage, chunked bodies). Its calls
/// block: async tests run them through `offPool` so that the Swift
/// concurrency pool stays free for the server's handlers. `@unchecked
/// Sendable`: a test hands a connection from one `offPool` call to the next,
/// never using it from two threads at once.
public final class RawHTTPConnection: @unchecked Sendable {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: [UInt8]

        public var text: String { String(decoding: body, as: UTF8.self) }

        public func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: Data(body))
                as? [String: Any] else { throw Failure(description: "body is not an object") }
            return object
        }
    }

    private let descriptor: Int32
    /// The socket, for a test that reads by hand (a client that leaves
    /// midway).
    public var descriptorForTests: Int32 { descriptor }
    private var buffered: [UInt8] = []

    public init(port: Int, ipv6: Bool = false, receiveTimeoutSeconds: Int = 60) throws {
        descriptor = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket() failed") }
        var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout,
                   socklen_t(MemoryLayout<timeval>.size))
        let connected: Int32
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            address.sin6_addr = in6addr_loopback
            connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        // A class whose initialiser throws once every property is set is
        // deinitialised: `deinit` closes the socket. Closing it here too
        // closed the number twice, and by then it could be another
        // thread's descriptor (a server's listening socket).
        guard connected == 0 else {
            throw Failure(description: "connect() failed: \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        close(descriptor)
    }

    public func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { throw Failure(description: "send() failed") }
            offset += sent
        }
    }

    /// Sends one request; adds Host and, for a body, Content-Length.
    public func sendRequest(_ method: String, _ target: String, headers: [String: String] = [:],
                     body: [UInt8] = []) throws {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty && headers["Transfer-Encoding"] == nil {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        try send(Array(head.utf8) + body)
    }

    /// Reads one response, framed by Content-Length or chunked (a streamed
    /// body); a chunked body cut short, without its last chunk, throws.
    /// `toHead`: the answer to a HEAD request, which has no body whatever
    /// its headers say.
    public func receiveResponse(toHead: Bool = false) throws -> Response {
        var headerEnd: Int?
        while headerEnd == nil {
            headerEnd = Self.find([13, 10, 13, 10], in: buffered)
            if headerEnd == nil { try fill() }
        }
        let head = String(decoding: buffered[..<headerEnd!], as: UTF8.self)
        buffered.removeFirst(headerEnd! + 4)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw Failure(description: "bad status line in \(head)")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] =
                line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        if toHead { return Response(status: status, headers: headers, body: []) }
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            return Response(status: status, headers: headers, body: try receiveChunks())
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        while buffered.count < length { try fill() }
        let body = Array(buffered[..<length])
        buffered.removeFirst(length)
        return Response(status: status, headers: headers, body: body)
    }

    /// A chunked body (RFC 9112 §7.1), up to and with its last chunk and
    /// the blank line after it (no trailer fields: this server sends none).
    private func receiveChunks() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            var lineEnd = Self.find([13, 10], in: buffered)
            while lineEnd == nil {
                try fill(cutShort: "the chunked body ended without its last chunk")
                lineEnd = Self.find([13, 10], in: buffered)
            }
            let sizeText = String(decoding: buffered[..<lineEnd!], as: UTF8.self)
                .split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw Failure(description: "bad chunk size line '\(sizeText)'")
            }
            buffered.removeFirst(lineEnd! + 2)
            while buffered.count < size + 2 {
                try fill(cutShort: "the chunked body ended inside a chunk")
            }
            if size == 0 {
                buffered.removeFirst(2)
                return body
            }
            body += buffered[..<size]
            buffered.removeFirst(size + 2)
        }
    }

    /// True when the server has closed the connection (read returns 0).
    public func isClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        return recv(descriptor, &byte, 1, 0) == 0
    }

    private func fill(cutShort: String = "connection closed") throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = recv(descriptor, &chunk, chunk.count, 0)
        guard count > 0 else {
            throw Failure(description: count == 0 ? cutShort : "recv() failed")
        }
        buffered.append(contentsOf: chunk[..<count])
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count)
        where haystack[start..<start + needle.count].elementsEqual(needle) {
            return start
        }
        return nil
    }
}

/// One request on a fresh connection.
public func rawRequest(port: Int, _ method: String, _ target: String,
                headers: [String: String] = [:], body: [UInt8] = []) throws
    -> RawHTTPConnection.Response {
    let connection = try RawHTTPConnection(port: port)
    try connection.sendRequest(method, target, headers: headers, body: body)
    return try connection.receiveResponse()
}

/// Runs blocking work on its own thread, off the Swift concurrency pool.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.start()
    }
}

/// Runs a command line tool and returns its standard output.
@discardableResult
public func runTool(_ path: String, _ arguments: [String], input: [UInt8] = []) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let stdin = Pipe(), stdout = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = FileHandle.nullDevice
    try process.run()
    stdin.fileHandleForWriting.write(Data(input))
    try stdin.fileHandleForWriting.close()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return [UInt8](output)
}

/// Gzip-compresses with the `gzip` command line, independent of our zlib code.
public func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    try runTool("/bin/gzip", ["-c", "-n"], input: bytes)
}
