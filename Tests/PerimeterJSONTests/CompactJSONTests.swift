import Foundation
import Testing
import PerimeterJSON

/// `JSONText.compact`, the audit trail's writer: what Foundation's writer
/// gives, keys sorted by their scalars, written out by hand here.
@Suite struct CompactJSONTests {
    @Test func writesNestedValuesWithSortedKeys() {
        let value: [String: Any] = [
            "name": "DC-01", "criticality": 95, "reviewed": true, "subcategory": NSNull(),
            "tags": ["tier0", "a\"b"], "properties": ["x9": "nine", "x10": Int64(10), "Owner": false],
            "atoms": ["hostname=dc-01", "cidr=10.0.0.0/8"], "count": Int32(-3),
        ]
        #expect(JSONText.compact(value) == #"{"atoms":["hostname=dc-01","cidr=10.0.0.0/8"],"#
                + #""count":-3,"criticality":95,"name":"DC-01","#
                + #""properties":{"Owner":false,"x10":10,"x9":"nine"},"#
                + #""reviewed":true,"subcategory":null,"tags":["tier0","a\"b"]}"#)
        #expect(JSONText.compact([Any]()) == "[]")
        #expect(JSONText.compact([String: Any]()) == "{}")
    }

    /// Doubles as a property holds them: whole ones as integers, others
    /// in their shortest exact text.
    @Test func writesDoubles() {
        #expect(JSONText.compact(["cost": 3.0, "ratio": 0.1, "big": 1e20, "neg": -2.5])
                == #"{"big":1e+20,"cost":3,"neg":-2.5,"ratio":0.1}"#)
    }

    /// An NSNumber (whose Bool and Int look alike) or a NaN is left to
    /// Foundation: nil, whole.
    @Test func leavesWhatItDoesNotTakeToFoundation() {
        #expect(JSONText.compact([NSNumber(value: 1)]) == nil)
        #expect(JSONText.compact(["list": [1, Double.nan]]) == nil)
    }
}
