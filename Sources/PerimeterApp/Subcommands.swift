import PerimeterModel

/// The subcommands of a command (`alerts list`, `tokens create`…): picks
/// one by its name, prints the help for none or `--help`, and names the
/// nearest one for a misspelling.
struct Subcommands {
    let command: String
    let entries: [(name: String, run: ([String]) throws -> Int32)]
    let help: () -> String

    init(_ command: String, help: @escaping () -> String,
         _ entries: [(name: String, run: ([String]) throws -> Int32)]) {
        self.command = command
        self.help = help
        self.entries = entries
    }

    func run(_ raw: [String]) throws -> Int32 {
        guard let name = raw.first, name != "--help", name != "-h" else {
            print(help())
            return raw.isEmpty ? 2 : 0
        }
        guard let entry = entries.first(where: { $0.name == name }) else {
            let names = entries.map(\.name)
            var message = "unknown \(command) command '\(name)'; expected "
                + names.dropLast().joined(separator: ", ") + " or " + names.last!
            if let near = NearestName.find(name, in: names) {
                message += "; did you mean '\(near)'?"
            }
            throw UsageError(message, helpCommand: command)
        }
        return try entry.run(Array(raw.dropFirst()))
    }
}
