// PerimeterStore: see docs/architecture.md.
