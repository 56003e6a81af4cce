// PerimeterApp: see docs/architecture.md.
