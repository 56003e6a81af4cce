// PerimeterEnrichment: see docs/architecture.md.
