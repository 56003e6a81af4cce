import Testing
@Test func PerimeterServerTestsPlaceholder() {}
