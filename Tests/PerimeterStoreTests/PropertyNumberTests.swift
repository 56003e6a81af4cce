import PerimeterModel
import Testing

/// A number property's text: decimal, finite, exact (what a CSV cell, a
/// command line and a JSON number all go through).
@Suite struct PropertyNumberTests {
    @Test(arguments: [
        ("12", 12.0), ("-0.5", -0.5), ("+3", 3.0), ("1e3", 1_000.0), ("2.5E-1", 0.25),
        (".5", 0.5), ("5.", 5.0), ("9007199254740992", 9_007_199_254_740_992.0),
        ("1e16", 1e16), ("1e300", 1e300), ("0.30000000000000004", 0.30000000000000004),
        ("-0", -0.0), ("1.50", 1.5),
    ] as [(String, Double)])
    func decimalNumbersAreRead(text: String, expected: Double) {
        #expect(PropertyValue.number(parsing: text) == expected)
    }

    @Test(arguments: [
        "0x10", "0X1F", "0x1p4",         // hexadecimal: Double(_:) read them as 16, 31, 16
        "inf", "nan", "1e999",           // no value JSON holds
        "9007199254740993",              // a whole number a double rounds (to ...992)
        "9007199254740993.0", "123456789012345678.5", "90071992547409930e-1",
        "", "-", ".", "1e", "1.2.3", "12abc", " 12",
    ])
    func otherTextIsNoNumber(text: String) {
        #expect(PropertyValue.number(parsing: text) == nil)
    }

    @Test func wholeNumbersAreWrittenWithoutAFraction() {
        #expect(PropertyValue.text(ofNumber: 5) == "5")
        #expect(PropertyValue.text(ofNumber: -42) == "-42")
        #expect(PropertyValue.text(ofNumber: 0.25) == "0.25")
        #expect(PropertyValue.text(ofNumber: 9_007_199_254_740_992) == "9007199254740992")
    }
}
