import Testing
@Test func PerimeterEventsTestsPlaceholder() {}
