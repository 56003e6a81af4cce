// PerimeterCrypto: see docs/architecture.md.
