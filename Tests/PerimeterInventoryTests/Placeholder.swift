import Testing
@Test func PerimeterInventoryTestsPlaceholder() {}
