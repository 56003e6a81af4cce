import CPCRE2
import Glibc
import Synchronization

/// Why a pattern could not be compiled or a match could not finish.
public struct RegexError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case invalidPattern = "regex.invalid_pattern"
        /// The match or depth limit ended the search: the pattern backtracks too much.
        case matchLimitExceeded = "regex.match_limit_exceeded"
        case matchFailed = "regex.match_failed"
    }

    public var code: Code
    public var pattern: String
    public var reason: String

    public var description: String {
        switch code {
        case .invalidPattern:
            "regex compilation failed: \(reason) (while compiling \(quotedPattern))"
        case .matchLimitExceeded:
            "regex match stopped: \(reason) (while matching \(quotedPattern))"
        case .matchFailed:
            "regex match failed: \(reason) (while matching \(quotedPattern))"
        }
    }

    /// The pattern in quotes, its first 120 characters when longer (a 2 MB
    /// pattern filled the terminal); the error's offset says where.
    private var quotedPattern: String {
        guard pattern.count > 120 else { return "'\(pattern)'" }
        return "'\(pattern.prefix(120))…' (\(pattern.count) characters)"
    }
}

/// A PCRE2 regular expression, compiled (and JIT-compiled when the platform allows)
/// once, matched with bounded work so that no pattern can hang the process.
///
/// Safe to share between threads: the compiled code and match context are read-only
/// after `init`, each match allocates its own match data, and the counter is atomic.
public final class Regex: @unchecked Sendable {
    public struct Options: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        public static let caseless = Options(rawValue: UInt32(PCRE2_CASELESS))
        /// `^` and `$` match at line boundaries.
        public static let multiline = Options(rawValue: UInt32(PCRE2_MULTILINE))
        /// `.` matches newlines too.
        public static let dotAll = Options(rawValue: UInt32(PCRE2_DOTALL))
    }

    /// Backtracking steps allowed per match; PCRE2's own default is ten million,
    /// which lets a catastrophic pattern burn a second per event.
    public static let defaultMatchLimit: UInt32 = 1_000_000
    public static let defaultDepthLimit: UInt32 = 10_000

    public let pattern: String
    public let options: Options
    public let isJITCompiled: Bool
    private let code: OpaquePointer
    private let matchContext: OpaquePointer
    private let exceeded = Atomic<Int>(0)

    /// How many matches of this regex ended on the match or depth limit.
    public var matchLimitExceededCount: Int { exceeded.load(ordering: .relaxed) }

    public init(_ pattern: String, options: Options = [],
                matchLimit: UInt32 = Regex.defaultMatchLimit,
                depthLimit: UInt32 = Regex.defaultDepthLimit) throws(RegexError) {
        self.pattern = pattern
        self.options = options
        var errorCode: Int32 = 0
        var errorOffset: Int = 0
        let compileOptions = options.rawValue | UInt32(PCRE2_UTF) | UInt32(PCRE2_MATCH_INVALID_UTF)
        let compiled = pattern.utf8CString.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: UInt8.self) { bytes in
                pcre2_compile_8(bytes.baseAddress, bytes.count - 1, compileOptions,
                                &errorCode, &errorOffset, nil)
            }
        }
        guard let compiled else {
            throw RegexError(code: .invalidPattern, pattern: pattern,
                             reason: Regex.message(for: errorCode) + " at offset \(errorOffset)")
        }
        code = compiled
        // JIT is an optimisation: a platform without it still matches, more slowly.
        isJITCompiled = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE)) == 0
        guard let context = pcre2_match_context_create_8(nil) else {
            pcre2_code_free_8(compiled)
            preconditionFailure("pcre2: cannot allocate a match context")
        }
        matchContext = context
        // Both setters return 0 always (pcre2_set_match_limit(3)); nothing to check.
        _ = pcre2_set_match_limit_8(context, matchLimit)
        _ = pcre2_set_depth_limit_8(context, depthLimit)
        pcre2_jit_stack_assign_8(context, jitStackOfThisThread, nil)
    }

    deinit {
        pcre2_match_context_free_8(matchContext)
        pcre2_code_free_8(code)
    }

    /// True when the pattern matches somewhere in `subject`.
    public func matches(_ subject: String) throws(RegexError) -> Bool {
        var subject = subject
        let outcome: Result<Bool, RegexError> = subject.withUTF8 { bytes in
            Result { () throws(RegexError) in try matches(utf8: bytes) }
        }
        return try outcome.get()
    }

    /// True when the pattern matches somewhere in the UTF-8 bytes.
    public func matches(utf8 subject: UnsafeBufferPointer<UInt8>) throws(RegexError) -> Bool {
        guard let matchData = pcre2_match_data_create_8(1, nil) else {
            preconditionFailure("pcre2: cannot allocate match data")
        }
        defer { pcre2_match_data_free_8(matchData) }
        var empty: UInt8 = 0
        let result = withUnsafePointer(to: &empty) { emptyPointer in
            pcre2_match_8(code, subject.baseAddress ?? emptyPointer, subject.count, 0, 0,
                          matchData, matchContext)
        }
        if result >= 0 { return true }
        switch result {
        case PCRE2_ERROR_NOMATCH:
            return false
        case PCRE2_ERROR_MATCHLIMIT, PCRE2_ERROR_DEPTHLIMIT, PCRE2_ERROR_HEAPLIMIT,
             PCRE2_ERROR_JIT_STACKLIMIT:
            exceeded.add(1, ordering: .relaxed)
            throw RegexError(code: .matchLimitExceeded, pattern: pattern,
                             reason: Regex.message(for: result))
        default:
            throw RegexError(code: .matchFailed, pattern: pattern,
                             reason: Regex.message(for: result))
        }
    }

    private static func message(for code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = pcre2_get_error_message_8(code, &buffer, buffer.count)
        guard length > 0 else { return "PCRE2 error \(code)" }
        return String(decoding: buffer[0..<Int(length)], as: UTF8.self)
    }
}

extension Regex {
    /// The PCRE2 library's version, as `perimeter version` reports it.
    public static var libraryVersion: String {
        // With PCRE2_CONFIG_VERSION, pcre2_config answers the text's
        // length in code units, its NUL included.
        var buffer = [UInt8](repeating: 0, count: 64)
        let length = pcre2_config_8(UInt32(PCRE2_CONFIG_VERSION), &buffer)
        guard length > 1 else { return "unknown" }
        return String(decoding: buffer[0..<Int(length - 1)], as: UTF8.self)
    }
}

/// The JIT stack of the calling thread, made on its first match. PCRE2's
/// own is 32 KiB: a plain `(ab )+END` over a 15 KB value ran out of it and
/// ended as the limit (a false "no match"). A stack serves one match at a
/// time, so each thread has its own; the match and depth limits still
/// bound the time a match takes.
private let jitStackOfThisThread: @convention(c) (UnsafeMutableRawPointer?) -> OpaquePointer? = {
    _ in
    if let stack = pthread_getspecific(JITStacks.key) { return OpaquePointer(stack) }
    // Nil (out of memory) makes PCRE2 fall back to its own 32 KiB stack.
    guard let stack = pcre2_jit_stack_create_8(64 << 10, JITStacks.maximumSize, nil) else {
        return nil
    }
    pthread_setspecific(JITStacks.key, UnsafeRawPointer(stack))
    return stack
}

private enum JITStacks {
    /// Address space reserved per thread; pages are used as a match needs.
    static let maximumSize = 8 << 20

    static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { stack in
            pcre2_jit_stack_free_8(OpaquePointer(stack))
        }
        precondition(status == 0, "pthread_key_create failed: \(status)")
        return key
    }()
}
