#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The listening TCP socket, bound before libmicrohttpd starts so that the
/// port the system picked (for port 0) is known at once, and so that the
/// server can stop accepting without closing connections (quiesce).
final class ListenSocket {
    let descriptor: Int32
    let port: Int
    let isIPv6: Bool
    private var isOpen = true

    init(host: String, port: Int) throws(HTTPServerError) {
        let doing = "while binding the HTTP server to \(host) port \(port)"
        guard (0...65535).contains(port) else {
            throw HTTPServerError(code: .invalidConfiguration,
                                  message: "invalid port \(port): expected 0 to 65535 (\(doing))")
        }
        let literal = host == "localhost" ? "127.0.0.1" : host
        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET, literal, &v4.sin_addr) == 1 {
            isIPv6 = false
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = in_port_t(UInt16(port).bigEndian)
        } else if inet_pton(AF_INET6, literal, &v6.sin6_addr) == 1 {
            isIPv6 = true
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = in_port_t(UInt16(port).bigEndian)
        } else {
            throw HTTPServerError(
                code: .invalidConfiguration,
                message: "invalid listen host '\(host)': expected an IP address such as "
                    + "127.0.0.1 or ::1 (\(doing))")
        }

        let fd = socket(isIPv6 ? AF_INET6 : AF_INET, Self.streamType, 0)
        guard fd >= 0 else {
            throw HTTPServerError(code: .startFailed,
                                  message: "socket() failed: \(Self.lastError()) (\(doing))")
        }
        descriptor = fd
        var yes: Int32 = 1
        let size = socklen_t(MemoryLayout<Int32>.size)
        if setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, size) != 0
            || (isIPv6 && setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &yes, size) != 0) {
            let reason = Self.lastError()
            close(fd)
            throw HTTPServerError(code: .startFailed,
                                  message: "setsockopt failed: \(reason) (\(doing))")
        }

        let bound = isIPv6
            ? withUnsafePointer(to: &v6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
            : withUnsafePointer(to: &v4) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        guard bound == 0, listen(fd, 511) == 0 else {
            let reason = Self.lastError()
            close(fd)
            throw HTTPServerError(code: .addressUnavailable,
                                  message: "cannot listen: \(reason) (\(doing))")
        }
        // Several network threads wait on this socket: a blocking accept()
        // would stall the thread that lost the race for a connection.
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            let reason = Self.lastError()
            close(fd)
            throw HTTPServerError(code: .startFailed,
                                  message: "fcntl(O_NONBLOCK) failed: \(reason) (\(doing))")
        }

        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(fd, $0, &length)
            }
        }
        guard named == 0 else {
            let reason = Self.lastError()
            close(fd)
            throw HTTPServerError(code: .startFailed,
                                  message: "getsockname failed: \(reason) (\(doing))")
        }
        self.port = Self.port(of: storage) ?? port
    }

    deinit {
        closeIfOpen()
    }

    /// Closes the socket; libmicrohttpd does so itself unless quiesced.
    func closeIfOpen() {
        guard isOpen else { return }
        isOpen = false
        close(descriptor)
    }

    /// Refuses new connections while the descriptor stays open: once
    /// quiesced, libmicrohttpd accepts none, but the kernel still completed
    /// them into the backlog, and a health check hung there until the
    /// drain ended. On Linux a listening socket shut down leaves the listen
    /// state, so a connect is refused at once. The descriptor itself is
    /// closed only after the library's stop, as it may still poll it.
    func refuseNewConnections() {
        guard isOpen else { return }
        _ = shutdown(descriptor, Int32(SHUT_RDWR))
    }

    /// Marks the socket as closed by someone else (libmicrohttpd).
    func forget() {
        isOpen = false
    }

    /// `ip:port` or `[ip]:port` for a socket address.
    static func describe(_ address: UnsafePointer<sockaddr>) -> String? {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                var addr = $0.pointee.sin_addr
                guard inet_ntop(AF_INET, &addr, &text, socklen_t(text.count)) != nil else {
                    return nil
                }
                let ip = String(decoding: text.prefix { $0 != 0 }.map(UInt8.init), as: UTF8.self)
                return "\(ip):\(UInt16(bigEndian: $0.pointee.sin_port))"
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                var addr = $0.pointee.sin6_addr
                guard inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count)) != nil else {
                    return nil
                }
                let ip = String(decoding: text.prefix { $0 != 0 }.map(UInt8.init), as: UTF8.self)
                return "[\(ip)]:\(UInt16(bigEndian: $0.pointee.sin6_port))"
            }
        default:
            return nil
        }
    }

    private static func port(of storage: sockaddr_storage) -> Int? {
        var copy = storage
        return withUnsafePointer(to: &copy) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { address -> Int? in
                switch Int32(address.pointee.sa_family) {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                        Int(UInt16(bigEndian: $0.pointee.sin_port))
                    }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                        Int(UInt16(bigEndian: $0.pointee.sin6_port))
                    }
                default: nil
                }
            }
        }
    }

    #if canImport(Glibc)
    private static let streamType = Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue)
    #else
    private static let streamType = SOCK_STREAM
    #endif

    private static func lastError() -> String {
        String(cString: strerror(errno))
    }
}
