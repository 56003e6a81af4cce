// PerimeterInput: see docs/architecture.md.
