import Testing
@Test func PerimeterDetectionTestsPlaceholder() {}
