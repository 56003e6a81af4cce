// PerimeterEvents: see docs/architecture.md.
