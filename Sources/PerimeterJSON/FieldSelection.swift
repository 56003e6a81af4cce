/// A compiled set of dotted ECS field paths that a parser extracts.
///
/// The index of a path in `paths` is its field id, which the hot path
/// uses instead of strings. Nested objects and dotted keys are the same
/// field: `host.name` matches `{"host":{"name":…}}`, `{"host.name":…}`
/// and any mix of the two.
public struct FieldSelection: Sendable, Hashable {
    public let paths: [String]
    private let ids: [String: Int]

    /// Duplicates keep the id of their first occurrence.
    public init(paths: [String]) {
        var unique: [String] = []
        var ids: [String: Int] = [:]
        for path in paths where ids[path] == nil {
            ids[path] = unique.count
            unique.append(path)
        }
        self.paths = unique
        self.ids = ids
    }

    public func id(of path: String) -> Int? { ids[path] }

    public var count: Int { paths.count }
}
