// PerimeterInventory: see docs/architecture.md.
