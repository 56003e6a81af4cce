import Testing
import PerimeterYAML

@Suite struct YAMLParserTests {
    @Test func readsSeveralDocumentsWithMarks() throws {
        let documents = try YAMLParser.parseDocuments("a: 1\nb: [x, 'y']\n---\n- ~\n- ''\n")
        #expect(documents.count == 2)
        #expect(documents[0]["a"]?.int == 1)
        #expect(documents[0]["b"]?.sequence?.map(\.string) == ["x", "y"])
        #expect(documents[0]["b"]?.mark == YAMLMark(line: 2, column: 4))
        let items = try #require(documents[1].sequence)
        #expect(items[0].isNull)
        #expect(!items[1].isNull)
    }

    @Test func keepsMappingOrder() throws {
        let root = try #require(try YAMLParser.parseDocuments("z: 1\na: 2\nm: 3").first)
        #expect(root.mapping?.entries.map { $0.key.string } == ["z", "a", "m"])
    }

    @Test func resolvesAliases() throws {
        let root = try #require(try YAMLParser.parseDocuments("a: &x [1, 2]\nb: *x").first)
        #expect(root["b"] == root["a"].map { node in
            // Same items; the alias keeps the anchor's marks.
            node
        })
    }

    @Test func unknownAliasIsAnError() {
        #expect(throws: YAMLError.self) { _ = try YAMLParser.parseDocuments("a: *nope") }
    }

    @Test func syntaxErrorNamesFileLineAndProblem() throws {
        do {
            _ = try YAMLParser.parseDocuments("a: [1, 2\nb: 3\n", file: "rules.yml")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .syntax)
            #expect(error.file == "rules.yml")
            #expect(error.mark != nil)
            #expect(error.description.hasPrefix("rules.yml:"))
        }
    }

    /// A character YAML does not allow in a stream (a raw NUL in a value)
    /// is found by libyaml's reader, which gives an offset: the error
    /// names its line and column (it said line 1 whatever the line).
    @Test func aControlCharacterIsReportedAtItsLine() throws {
        do {
            _ = try YAMLParser.parseDocuments("a: 1\nb:\n  c: \"x\u{0}y\"\n", file: "r.yml")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .syntax)
            #expect(error.mark == YAMLMark(line: 3, column: 8), "\(error)")
        }
    }

    @Test(arguments: [("true", true), ("False", false)])
    func booleans(_ text: String, _ value: Bool) throws {
        #expect(try YAMLParser.parseDocuments("v: \(text)").first?["v"]?.bool == value)
    }

    @Test func quotedNumbersAreNotIntegers() throws {
        let root = try #require(try YAMLParser.parseDocuments("a: '12'\nb: 12\nc: 0x1F").first)
        #expect(root["a"]?.int == nil)
        #expect(root["b"]?.int == 12)
        #expect(root["c"]?.int == 31)
    }

    /// A key said twice in one mapping is refused where the second one is,
    /// naming the first (a rule's second `selection` was dropped); one key
    /// in two mappings is no repetition.
    @Test func aKeyTwiceInOneMappingIsAnError() throws {
        let text = "detection:\n  sel:\n    a: 1\n  sel:\n    b: 2\n"
        do {
            _ = try YAMLParser.parseDocuments(text, file: "r.yml")
            Issue.record("a repeated key was accepted")
        } catch {
            #expect(error.code == .duplicateKey)
            #expect(error.mark?.line == 4)
            #expect(error.reason.contains("'sel'") && error.reason.contains("line 2"))
        }
        let apart = try YAMLParser.parseDocuments("a:\n  k: 1\nb:\n  k: 2\n").first
        #expect(apart?["b"]?["k"]?.int == 2)
    }

    /// Nesting is bounded: 200 levels (the top mapping and 199 lists) are
    /// read, 201 refused, and 5,001 (a 10 KB file) refused too rather than
    /// overflowing the stack.
    @Test(arguments: [(199, true), (200, false), (5_000, false)])
    func nestingIsBounded(lists: Int, accepted: Bool) {
        let text = "a: " + String(repeating: "[", count: lists)
            + String(repeating: "]", count: lists)
        do {
            _ = try YAMLParser.parseDocuments(text)
            #expect(accepted)
        } catch {
            #expect(!accepted)
            #expect(error.code == .tooDeep)
        }
    }

    /// Aliases count as what they repeat: the list of level k names the one
    /// before ten times, so it stands for 10 × (the one before) + 1 nodes:
    /// 11 at level 0, 111,111 at level 4, 1,111,111 at level 5. Four levels
    /// are read; with five or six, the bound is crossed inside level 5's
    /// list (line 6), and that is where the refusal points.
    @Test(arguments: [(4, true), (5, false), (6, false)])
    func aliasesCountAsWhatTheyRepeat(levels: Int, accepted: Bool) {
        var text = "a0: &a0 [" + Array(repeating: "x", count: 10).joined(separator: ", ") + "]\n"
        for level in 1...levels {
            text += "a\(level): &a\(level) ["
                + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        do {
            let document = try YAMLParser.parseDocuments(text).first
            #expect(accepted)
            #expect(document?["a\(levels)"]?.sequence?.count == 10)
        } catch {
            #expect(!accepted)
            #expect(error.code == .tooLarge)
            #expect(error.mark?.line == 6, "\(error)")
        }
    }
}
