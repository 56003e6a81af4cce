import Testing
@Test func PerimeterHTTPTestsPlaceholder() {}
