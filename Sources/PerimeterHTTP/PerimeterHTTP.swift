// PerimeterHTTP: see docs/architecture.md.
