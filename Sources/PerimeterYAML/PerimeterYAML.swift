// PerimeterYAML: see docs/architecture.md.
