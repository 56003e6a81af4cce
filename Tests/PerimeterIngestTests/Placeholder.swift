import Testing
@Test func PerimeterIngestTestsPlaceholder() {}
