import Testing
@Test func PerimeterAppTestsPlaceholder() {}
