// swift-tools-version:6.0
// Perimeter: asset inventory and automatic asset discovery for a SOC.
//
// The layout draws the data flow: C libraries at the bottom, each wrapped
// once; a pure value model; event reading and atom extraction; the
// inventory logic (discovery and timeline, no I/O); the store; enrichment;
// detection; the HTTP server; and a thin `perimeter` executable on top.
import PackageDescription

let package = Package(
    name: "Perimeter",
    products: [
        .executable(name: "perimeter", targets: ["perimeter"]),
    ],
    targets: [
        // MARK: - C libraries from Debian, each wrapped by exactly one module
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1",
                       providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8",
                       providers: [.apt(["libpcre2-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd",
                       providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        // simdjson is C++: a thin shim gives it a C API that Swift can call.
        .target(
            name: "CSimdJSONShim",
            cxxSettings: [.unsafeFlags(["-O3"])],
            linkerSettings: [.linkedLibrary("simdjson")]
        ),

        // MARK: - Swift wrappers of the C libraries
        .target(name: "PerimeterJSON", dependencies: ["CSimdJSONShim"]),
        .target(name: "PerimeterSQLite", dependencies: ["CSQLite"]),
        .target(name: "PerimeterYAML", dependencies: ["CYAML", "PerimeterInput"]),
        .target(name: "PerimeterRegex", dependencies: ["CPCRE2"]),
        .target(name: "PerimeterHTTP", dependencies: ["CMicroHTTPD", "PerimeterInput", "PerimeterModel"]),
        .target(name: "PerimeterCrypto", dependencies: ["CCrypto"]),

        // MARK: - Domain
        .target(name: "PerimeterModel"),
        .target(name: "PerimeterInput", dependencies: ["CZlib"]),
        .target(name: "PerimeterEvents",
                dependencies: ["PerimeterModel", "PerimeterJSON", "PerimeterInput"]),
        .target(name: "PerimeterInventory", dependencies: ["PerimeterModel", "PerimeterJSON"]),
        .target(name: "PerimeterStore",
                dependencies: ["PerimeterModel", "PerimeterInventory",
                               "PerimeterSQLite", "PerimeterJSON"]),
        .target(name: "PerimeterEnrichment",
                dependencies: ["PerimeterModel", "PerimeterInventory",
                               "PerimeterJSON"]),
        // The data files are compiled into the program (`embedInCode`): a
        // copied bundle folder beside the binary is needed by nothing.
        .target(name: "PerimeterDetection",
                dependencies: ["PerimeterModel", "PerimeterYAML", "PerimeterInput",
                               "PerimeterRegex", "PerimeterJSON"],
                exclude: ["Resources/DETECTION.md", "Resources/.keep"],
                resources: [.embedInCode("Resources/sigma-ecs-mapping.yml"),
                            .embedInCode("Resources/placeholders.yml")]),
        .target(name: "PerimeterServer",
                dependencies: ["PerimeterHTTP", "PerimeterCrypto", "PerimeterStore",
                               "PerimeterEnrichment", "PerimeterDetection",
                               "PerimeterEvents", "PerimeterIngest", "PerimeterInput",
                               "PerimeterJSON"]),

        .target(name: "PerimeterIngest",
                dependencies: ["PerimeterModel", "PerimeterJSON", "PerimeterInput",
                               "PerimeterEvents", "PerimeterInventory", "PerimeterStore",
                               "PerimeterEnrichment", "PerimeterYAML", "PerimeterDetection"],
                resources: [.embedInCode("Resources/lease-sources.yaml")]),

        // MARK: - Command line
        .target(name: "PerimeterApp",
                dependencies: ["PerimeterModel", "PerimeterEvents", "PerimeterIngest", "PerimeterInput",
                               "PerimeterSQLite", "PerimeterJSON",
                               "PerimeterInventory", "PerimeterStore",
                               "PerimeterEnrichment", "PerimeterDetection",
                               "PerimeterServer", "PerimeterYAML", "PerimeterHTTP",
                               "PerimeterRegex", "PerimeterCrypto"]),
        .executableTarget(name: "perimeter", dependencies: ["PerimeterApp"]),

        // MARK: - Tests
        .target(name: "PerimeterTestSupport",
                dependencies: ["PerimeterModel"],
                path: "Tests/PerimeterTestSupport"),
        .testTarget(name: "PerimeterJSONTests",
                    dependencies: ["PerimeterJSON", "PerimeterTestSupport"]),
        .testTarget(name: "PerimeterInputTests",
                    dependencies: ["PerimeterInput", "PerimeterTestSupport"]),
        .testTarget(name: "PerimeterEventsTests",
                    dependencies: ["PerimeterEvents", "PerimeterTestSupport"]),
        .testTarget(name: "PerimeterInventoryTests",
                    dependencies: ["PerimeterInventory", "PerimeterTestSupport"]),
        // The corpus expectations are read by path, next to the tests.
        .testTarget(name: "PerimeterIngestTests",
                    dependencies: ["PerimeterIngest", "PerimeterTestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "PerimeterStoreTests",
                    dependencies: ["PerimeterStore", "PerimeterTestSupport"]),
        .testTarget(name: "PerimeterDetectionTests",
                    dependencies: ["PerimeterDetection", "PerimeterTestSupport"]),
        .testTarget(name: "PerimeterAppTests",
                    dependencies: ["PerimeterApp", "PerimeterTestSupport"]),
        .testTarget(name: "PerimeterHTTPTests",
                    dependencies: ["PerimeterHTTP", "PerimeterCrypto",
                                   "PerimeterTestSupport"]),
        .testTarget(name: "PerimeterServerTests",
                    dependencies: ["PerimeterServer", "PerimeterApp",
                                   "PerimeterTestSupport"]),
    ],
    cxxLanguageStandard: .cxx17
)

// Release builds leave out the run-time exclusivity checks: every access
// to a class's stored property on the hot path (the inventory's index and
// arrays, the detection engine's buffers) otherwise registers with the
// runtime and keeps the optimizer from hoisting loads. Measured on the
// whole ingest with 50 rules (`perimeter bench`, 1,000,000 events, builds
// with and without run alternately): 109,000–164,000 events/s against
// 106,000–142,000, 3–24% more in each pair. Debug builds, and so the test
// suite, keep the checks, and the compiler still checks exclusivity
// statically everywhere.
for target in package.targets where target.name.hasPrefix("Perimeter") || target.name == "perimeter" {
    target.swiftSettings = (target.swiftSettings ?? [])
        + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
}
