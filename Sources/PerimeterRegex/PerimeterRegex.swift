// PerimeterRegex: see docs/architecture.md.
