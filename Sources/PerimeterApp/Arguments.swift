import PerimeterModel

/// A command-line mistake, shown with the command's usage.
public struct UsageError: Error, CustomStringConvertible {
    public let message: String
    /// The command whose `--help` answers the mistake, when it is not the
    /// one the arguments name (an unknown subcommand has no help of its own).
    public var helpCommand: String?

    public init(_ message: String, helpCommand: String? = nil) {
        self.message = message
        self.helpCommand = helpCommand
    }

    public var description: String { message }
}

/// The options a command accepts, and its help text.
struct CommandSpec {
    struct Option {
        let name: String
        let valueName: String?
        let help: String
        var isRepeatable = false
    }

    let name: String
    let summary: String
    let usage: String
    let options: [Option]
    let example: String
    var details: String = ""
    /// False for a command of options only: a word among them is refused,
    /// not dropped (`--reviewed false` made the asset reviewed, `--tag t1
    /// t2` tagged t1 alone).
    var takesArguments = true

    /// Parses a command's arguments; with `--help` it prints the help
    /// and returns nil (the command then exits 0).
    func parse(_ raw: [String]) throws -> ParsedArguments? {
        let arguments = try ParsedArguments(raw, spec: self)
        guard !arguments.wantsHelp else {
            print(help)
            return nil
        }
        if !takesArguments, let first = arguments.positionals.first {
            throw UsageError(unexpectedArgumentMessage(first, in: raw))
        }
        return arguments
    }

    /// Names a stray word, and the option of no value it most likely
    /// meant to give it to.
    private func unexpectedArgumentMessage(_ word: String, in raw: [String]) -> String {
        var message = "unexpected argument '\(word)': 'perimeter \(name)' takes options only"
        guard let index = raw.firstIndex(of: word) else { return message }
        func option(before offset: Int) -> Option? {
            index >= offset ? options.first { $0.name == raw[index - offset] } : nil
        }
        if let flag = option(before: 1), flag.valueName == nil {
            message += " ('\(flag.name)' takes no value: give it, or leave it out)"
        } else if let valued = option(before: 2), valued.valueName != nil {
            message += " ('\(valued.name)' takes one value; give the option again for another)"
        }
        return message
    }

    var help: String {
        var text = "\(summary)\n\nUsage: perimeter \(usage)\n"
        if !details.isEmpty { text += "\n\(details)\n" }
        if !options.isEmpty {
            text += "\nOptions:\n"
            let width = (options.map { $0.name.count + ($0.valueName.map { $0.count + 1 } ?? 0) }
                .max() ?? 0) + 4
            for option in options + [Option(name: "--help", valueName: nil, help: "Show this help.")] {
                var head = "  " + option.name
                if let value = option.valueName { head += " " + value }
                head += String(repeating: " ", count: max(2, width - head.count + 2))
                text += head + option.help + "\n"
            }
        }
        // A command of several verbs shows one line for each.
        let lines = example.split(separator: "\n")
        text += "\n" + (lines.count > 1 ? "Examples:" : "Example:") + "\n"
            + lines.map { "  " + $0 + "\n" }.joined()
        return text
    }
}

/// Parsed arguments: options by name, and positionals in order.
struct ParsedArguments {
    private(set) var values: [String: [String]] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positionals: [String] = []
    private(set) var wantsHelp = false

    init(_ arguments: [String], spec: CommandSpec) throws {
        var index = 0
        let names = spec.options.map(\.name)
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--help" || argument == "-h" {
                wantsHelp = true
                continue
            }
            if argument == "--" {
                positionals += arguments[index...]
                break
            }
            guard argument.hasPrefix("--"), argument.count > 2 else {
                positionals.append(argument)
                continue
            }
            var name = argument
            var inlineValue: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            guard let option = spec.options.first(where: { $0.name == name }) else {
                var message = "unknown option '\(name)' for 'perimeter \(spec.name)'"
                if let near = NearestName.find(name, in: names) { message += "; did you mean '\(near)'?" }
                throw UsageError(message)
            }
            if option.valueName == nil {
                guard inlineValue == nil else { throw UsageError("'\(name)' takes no value") }
                flags.insert(name)
                continue
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else {
                guard index < arguments.count else {
                    throw UsageError("'\(name)' needs a value (\(option.valueName!))")
                }
                value = arguments[index]
                index += 1
                // `--db --quiet` made a store named --quiet, and the output
                // then went into it: an option where a value goes is one
                // forgotten, unless given as --db=--quiet.
                if Self.looksLikeAnOption(value) {
                    throw UsageError("'\(name)' needs a value (\(option.valueName!)), and "
                                     + "'\(value)' is an option (\(name)=\(value) gives it as "
                                     + "the value)")
                }
            }
            if !option.isRepeatable, values[name] != nil {
                throw UsageError("'\(name)' is given twice")
            }
            values[name, default: []].append(value)
        }
    }

    /// `--name` or `--name=value`: an option's form, whether or not the
    /// command has it (`--rejects --weird` made a file named --weird).
    static func looksLikeAnOption(_ text: String) -> Bool {
        text.hasPrefix("--") && text.dropFirst(2).first?.isLetter == true
    }

    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }
    func flag(_ name: String) -> Bool { flags.contains(name) }

    func int(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = value(name) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            throw UsageError("'\(name)' must be a whole number from \(range.lowerBound) "
                             + "to \(range.upperBound), not '\(text)'")
        }
        return number
    }

    func bool(_ name: String) throws -> Bool? {
        guard let text = value(name)?.lowercased() else { return nil }
        guard let flag = Bool(flagText: text) else {
            throw UsageError("'\(name)' must be true or false, not '\(text)'")
        }
        return flag
    }
}

/// Runs a model parse, reporting a refused value as a usage error.
func parsingArgument<T>(_ body: () throws(ModelError) -> T) throws(UsageError) -> T {
    do { return try body() } catch { throw UsageError(error.message) }
}
