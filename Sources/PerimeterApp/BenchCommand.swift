/// `perimeter bench`: see Benchmark.swift.
enum BenchCommand {
    static func run(_ raw: [String]) throws -> Int32 {
        try Benchmark.run(raw)
    }
}
