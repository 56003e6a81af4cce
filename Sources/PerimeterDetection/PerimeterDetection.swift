// PerimeterDetection: see docs/architecture.md.
