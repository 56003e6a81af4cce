import PerimeterDetection
import Testing

@Suite struct DetectionRecordTests {
    func texts(_ record: DetectionRecord, _ field: DetectionFieldID) -> [String] {
        record.values(of: field).map { $0.text ?? "null" }
    }

    @Test func eachFieldGivesItsOwnValuesInOrder() {
        var record = DetectionRecord(fieldCount: 4)
        record.append(.string("a"), to: 2)
        record.append(.string("b"), to: 2)
        record.append(contentsOf: [.int(4624), .null], to: 0)
        #expect(texts(record, 2) == ["a", "b"])
        #expect(texts(record, 0) == ["4624", "null"])
        #expect(texts(record, 1).isEmpty)
        #expect(texts(record, 3).isEmpty)
    }

    /// A field appended to again after another field keeps all its values
    /// and leaves the other field's alone.
    @Test func aFieldAppendedToAgainLaterKeepsEveryValue() {
        var record = DetectionRecord(fieldCount: 3)
        record.append(.string("first"), to: 1)
        record.append(.string("other"), to: 2)
        record.append(.string("second"), to: 1)
        record.append(contentsOf: [.string("third")], to: 1)
        record.append(.string("more"), to: 2)
        #expect(texts(record, 1) == ["first", "second", "third"])
        #expect(texts(record, 2) == ["other", "more"])
    }

    @Test func emptyingTheRecordForgetsEveryField() {
        var record = DetectionRecord(fieldCount: 3)
        record.append(.string("x"), to: 0)
        record.append(.bool(true), to: 2)
        record.allStrings = ["x"]
        record.removeAll()
        #expect(texts(record, 0).isEmpty)
        #expect(texts(record, 2).isEmpty)
        #expect(record.allStrings.isEmpty)
        record.append(.string("y"), to: 2)
        #expect(texts(record, 2) == ["y"])
        #expect(texts(record, 0).isEmpty)
    }
}
