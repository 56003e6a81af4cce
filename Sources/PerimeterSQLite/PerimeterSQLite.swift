// PerimeterSQLite: see docs/architecture.md.
