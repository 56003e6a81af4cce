import Foundation
import PerimeterEvents

/// An `EventFieldSource` over a JSON object, flattened to dotted paths with
/// Foundation (tests only: the product reads events with simdjson). Dotted
/// keys and nested objects land on the same path, so both forms count.
struct DictionaryEventSource: EventFieldSource {
    private(set) var values: [String: [String]] = [:]

    init(json: String) throws {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8))
        flatten(object, path: "")
    }

    init(fields: [String: [String]]) { values = fields }

    func forEachString(inField index: Int, _ body: (String) -> Void) {
        values[AtomExtractor.fieldPaths[index]]?.forEach(body)
    }

    private mutating func flatten(_ value: Any, path: String) {
        switch value {
        case let object as [String: Any]:
            for (key, child) in object {
                flatten(child, path: path.isEmpty ? key : path + "." + key)
            }
        case let list as [Any]:
            for element in list { flatten(element, path: path) }
        case let text as String:
            values[path, default: []].append(text)
        case let number as NSNumber:
            values[path, default: []].append(number.stringValue)
        default:
            break  // null
        }
    }
}

/// The shared corpus (`../shared/corpus` from the package root, or
/// `PERIMETER_CORPUS`).
enum Corpus {
    static var root: URL {
        if let path = ProcessInfo.processInfo.environment["PERIMETER_CORPUS"] {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/corpus")
    }

    /// One line (1-based) of an `ecs/` file.
    static func ecsLine(_ file: String, _ line: Int) throws -> String {
        let url = root.appendingPathComponent("ecs").appendingPathComponent(file)
        let text = try String(contentsOf: url, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return String(lines[line - 1])
    }
}
