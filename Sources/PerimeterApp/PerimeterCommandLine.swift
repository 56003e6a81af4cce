import Foundation
import PerimeterIngest
import PerimeterInventory
import PerimeterModel
import PerimeterStore

/// The `perimeter` command line: finds the command and runs it.
public enum PerimeterCommandLine {
    static let commands: [(name: String, summary: String)] = [
        ("demo", "Generate sample events, ingest them, and show what was found"),
        ("ingest", "Read ECS events, discover assets, write enriched events"),
        ("assets", "List, show, create, import, update, revoke and bulk-change assets"),
        ("atoms", "Which asset holds an atom, now or at a given time; confirm or reject one"),
        ("discovery", "List and switch the discovery rules of a community"),
        ("rules", "Check Sigma rules and test them on events"),
        ("alerts", "List and close the alerts that detection raised"),
        ("serve", "Serve the HTTP JSON API (tokens, tenants, jobs, intake)"),
        ("tokens", "Create, list and revoke API tokens"),
        ("properties", "List, define, rename and remove contextual property definitions"),
        ("audit", "Show the audit trail of a community or of one asset"),
        ("forget", "Erase an atom or an account on request, recording the erasure"),
        ("bench", "Measure throughput and memory on a generated workload"),
        ("version", "Print the versions of Perimeter and its libraries"),
        ("help", "Show help for a command"),
    ]

    public static func main() {
        // Past the shell's file-size limit (`ulimit -f`) a write would kill
        // the process with no word (exit 153); ignored, the write fails
        // and the store's error says which file could not grow.
        signal(SIGXFSZ, SIG_IGN)
        let status = run(Array(CommandLine.arguments.dropFirst()))
        // What a command printed may not all have been written (that limit
        // again, a full disk): a list cut short must not end with success.
        let failure = Terminal.standardOutputError
        if failure != 0 {
            let reason = String(cString: strerror(failure))
            FileHandle.standardError.write(Data(
                "perimeter: error: cannot write standard output: \(reason)\n".utf8))
            exit(status == 0 ? 1 : status)
        }
        exit(status)
    }

    /// Runs a command; returns the process exit status (0 ok, 1 failure,
    /// 2 usage error).
    public static func run(_ arguments: [String]) -> Int32 {
        guard let name = arguments.first, name != "--help", name != "-h" else {
            print(overview)
            return arguments.isEmpty ? 2 : 0
        }
        let rest = Array(arguments.dropFirst())
        do {
            switch name {
            case "help":
                guard !rest.isEmpty else {
                    print(overview)
                    return 0
                }
                // `help assets list` is the help of `assets list`.
                return run(rest + ["--help"])
            case "demo": return try DemoCommand.run(rest)
            case "ingest": return try IngestCommand.run(rest)
            case "assets": return try AssetsCommand.run(rest)
            case "atoms": return try AtomsCommand.run(rest)
            case "discovery": return try DiscoveryCommand.run(rest)
            case "rules": return RulesCommands.run(rest)
            case "alerts": return try AlertsCommand.run(rest)
            case "serve": return try ServeCommand.run(rest)
            case "tokens": return try TokensCommand.run(rest)
            case "properties": return try EditCommands.properties(rest)
            case "audit": return try EditCommands.audit(rest)
            case "forget": return try ForgetCommand.run(rest)
            case "bench": return try BenchCommand.run(rest)
            case "version", "--version":
                guard try VersionCommand.spec.parse(rest) != nil else { return 0 }
                print(VersionCommand.text)
                return 0
            default:
                var message = "unknown command '\(name)'"
                if let near = NearestName.find(name, in: commands.map(\.name)) {
                    message += "; did you mean '\(near)'?"
                }
                Terminal.error(message + " (see 'perimeter help')")
                return 2
            }
        } catch let error as UsageError {
            // `assets list --bad` points to `assets list --help`, not `assets --help`.
            let command = error.helpCommand
                ?? (rest.first.map { !$0.hasPrefix("-") && Self.hasSubcommands(name) } == true
                    ? "\(name) \(rest[0])" : name)
            // A message that points somewhere already needs no second pointer.
            let pointer = error.message.contains("(see '") ? ""
                : " (see 'perimeter \(command) --help')"
            Terminal.error(error.message + pointer)
            return 2
        } catch {
            Terminal.error(String(describing: error))
            return 1
        }
    }

    static func hasSubcommands(_ command: String) -> Bool {
        ["assets", "atoms", "rules", "alerts", "tokens", "properties", "discovery"].contains(command)
    }

    static var overview: String {
        var text = """
            perimeter: asset inventory and automatic asset discovery for a SOC.

            Usage: perimeter COMMAND [OPTIONS]

            Commands:

            """
        for (name, summary) in commands {
            text += "  " + name.padding(toLength: 12, withPad: " ", startingAt: 0) + summary + "\n"
        }
        text += """

            Every command reads the store from --db or PERIMETER_DB (default perimeter.db)
            and the configuration from --config or PERIMETER_CONFIG.
            Run 'perimeter COMMAND --help' for a command's options and an example.

            Example:
              perimeter ingest events.ndjson.gz --output enriched.ndjson
            """
        return text
    }
}
