@testable import PerimeterApp
import Testing

/// A command of options only refuses a stray word, naming the option it
/// was most likely meant for, where it used to drop it.
@Suite struct ArgumentsTests {
    private static let spec = CommandSpec(
        name: "assets bulk", summary: "", usage: "", options: [
            .init(name: "--reviewed", valueName: nil, help: ""),
            .init(name: "--tag", valueName: "T", help: "", isRepeatable: true),
        ], example: "", takesArguments: false)

    @Test(arguments: [
        (["--reviewed", "false"], "unexpected argument 'false': 'perimeter assets bulk' takes "
            + "options only ('--reviewed' takes no value: give it, or leave it out)"),
        (["--tag", "t1", "t2"], "unexpected argument 't2': 'perimeter assets bulk' takes "
            + "options only ('--tag' takes one value; give the option again for another)"),
        (["stray", "--reviewed"], "unexpected argument 'stray': 'perimeter assets bulk' takes "
            + "options only"),
    ])
    func aStrayWordIsRefused(arguments: [String], message: String) {
        #expect(throws: UsageError.self) { try Self.spec.parse(arguments) }
        do {
            _ = try Self.spec.parse(arguments)
        } catch let error as UsageError {
            #expect(error.message == message)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func optionsAloneParse() throws {
        let parsed = try #require(try Self.spec.parse(["--reviewed", "--tag", "a", "--tag", "b"]))
        #expect(parsed.flag("--reviewed"))
        #expect(parsed.all("--tag") == ["a", "b"])
    }
}
