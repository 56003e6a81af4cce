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

    /// Bounded as a description is: 16,384 characters of text; a list of
    /// 1,000 items of 1,024 characters each. Code points are counted, so
    /// "é" written with its combining accent is two.
    @Test func aValueIsBounded() throws {
        let longest = String(repeating: "é", count: 16_384)
        #expect(try AssetDraftBuilder.value(longest, as: .string, name: "owner") == .string(longest))
        #expect {
            _ = try AssetDraftBuilder.value(longest + "x", as: .string, name: "owner")
        } throws: { error in
            (error as? RowProblem)?.message
                == "property 'owner' holds at most 16384 characters, not 16385"
        }
        let items = (1...1_000).map { "agent-\($0)" }
        #expect(try AssetDraftBuilder.value(items.joined(separator: ","), as: .list, name: "ids")
                == .list(items))
        #expect {
            _ = try AssetDraftBuilder.value((items + ["one more"]).joined(separator: ","),
                                            as: .list, name: "ids")
        } throws: { error in
            (error as? RowProblem)?.message == "property 'ids' holds at most 1000 items, not 1001"
        }
        let accented = String(repeating: "e\u{301}", count: 513)
        #expect {
            _ = try AssetDraftBuilder.value(#"["ok", "\#(accented)"]"#, as: .list, name: "ids")
        } throws: { error in
            (error as? RowProblem)?.message
                == "an item of property 'ids' holds at most 1024 characters, not 1026"
        }
    }
}
