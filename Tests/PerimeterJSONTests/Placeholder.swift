import Testing
@Test func PerimeterJSONTestsPlaceholder() {}
