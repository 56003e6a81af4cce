// PerimeterServer: see docs/architecture.md.
