/// The throughput and memory benchmark (being written).
enum Benchmark {
    static func run(_ raw: [String]) throws -> Int32 {
        Terminal.error("the benchmark is not built yet")
        return 1
    }
}
