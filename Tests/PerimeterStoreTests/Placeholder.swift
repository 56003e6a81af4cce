import Testing
@Test func PerimeterStoreTestsPlaceholder() {}
