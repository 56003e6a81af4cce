import Foundation
import PerimeterModel
@testable import PerimeterServer
import Testing

/// A property's text as people give it (CLI, API, import): line breaks and
/// tabs in a text value, as a description takes them; no other control
/// character (an escape sequence drives the terminal that prints it), and
/// none at all in a list's items.
@Suite struct PropertyTextTests {
    @Test func controlCharactersAreRefused() throws {
        #expect(try AssetDraftBuilder.value("line one\nline two\tend", as: .string, name: "owner")
                == .string("line one\nline two\tend"))
        for hostile in ["x\u{1B}[31my", "a\u{7}b", "a\u{9B}2J", "a\u{0}b"] {
            #expect {
                _ = try AssetDraftBuilder.value(hostile, as: .string, name: "owner")
            } throws: { error in
                (error as? RowProblem)?.message
                    == "property 'owner' cannot hold control characters other than line breaks and tabs"
            }
        }
        #expect(try AssetDraftBuilder.value("a,b", as: .list, name: "team") == .list(["a", "b"]))
        // A JSON list cell's escapes decoded: `\u001b` is an ESC.
        #expect {
            _ = try AssetDraftBuilder.value(#"["\u001b[31mRED"]"#, as: .list, name: "team")
        } throws: { error in
            (error as? RowProblem)?.message == "property 'team' cannot hold control characters"
        }
        #expect {
            _ = try AssetDraftBuilder.value("a\nb,c", as: .list, name: "team")
        } throws: { error in
            (error as? RowProblem)?.message == "property 'team' cannot hold control characters"
        }
    }
}
