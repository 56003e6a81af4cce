// PerimeterJSON: see docs/architecture.md.
