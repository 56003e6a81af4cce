import Testing
@Test func PerimeterInputTestsPlaceholder() {}
