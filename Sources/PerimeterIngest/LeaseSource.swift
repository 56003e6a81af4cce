import Foundation
import PerimeterModel
import PerimeterYAML

/// How one kind of DHCP server's events are read as leases: a small
/// declarative description (SPEC §3.1), shipped in
/// `Resources/lease-sources.yaml` and extensible by users.
public struct LeaseSource: Sendable, Hashable {
    public var name: String
    /// Field → accepted values (compared ignoring case); `*` means present.
    public var conditions: [String: [String]]
    public var actionField: String
    public var grantActions: [String]
    public var releaseActions: [String]
    public var addressField: String
    public var hostnameField: String?
    public var macField: String?

    /// Every field a lease source reads, for the parser's selection.
    public var fields: [String] {
        Array(conditions.keys) + [actionField, addressField] + [hostnameField, macField].compactMap { $0 }
    }

    /// The sources shipped with Perimeter.
    /// Compiled into the program (`Resources/lease-sources.yaml`): it runs
    /// with no file beside it.
    public static let builtIn: [LeaseSource] = {
        let text = String(decoding: PackageResources.lease_sources_yaml, as: UTF8.self)
        guard let sources = try? load(text: text, path: "the built-in lease-sources.yaml") else {
            // The file is compiled in: failing to read it is our bug.
            preconditionFailure("the built-in lease-sources.yaml is invalid")
        }
        return sources
    }()

    /// Reads a lease sources file (`lease_sources:` list).
    public static func load(path: String) throws -> [LeaseSource] {
        try load(text: ConfigurationError.text(ofFile: path, what: "the lease sources file"),
                 path: path)
    }

    private static func load(text: String, path: String) throws -> [LeaseSource] {
        let documents = try YAMLParser.parseDocuments(text, file: path)
        if documents.count > 1 {
            throw ConfigurationError(file: path, line: documents[1].mark.line, message:
                "a lease sources file holds one YAML document; this one starts another")
        }
        guard let list = documents.first?["lease_sources"]?.sequence else {
            throw ConfigurationError(file: path, line: documents.first?.mark.line ?? 1,
                                     message: "expected a 'lease_sources:' list")
        }
        // A key beside the list (`lease_source:` after it, say) would be read by nobody.
        for entry in documents.first?.mapping ?? YAMLMapping()
        where entry.key.string != "lease_sources" {
            throw ConfigurationError(file: path, line: entry.key.mark.line, message:
                "unknown key '\(entry.key.string ?? "?")'; a lease sources file holds "
                    + "'lease_sources:' alone")
        }
        var sources: [LeaseSource] = []
        for (node, source) in try list.map({ ($0, try parse($0, file: path)) }) {
            // Two entries of one name: the second would replace the first.
            guard !sources.contains(where: { $0.name == source.name }) else {
                throw ConfigurationError(file: path, line: node.mark.line, message:
                    "a second lease source is named '\(source.name)'; names are unique")
            }
            sources.append(source)
        }
        return sources
    }

    private static func parse(_ node: YAMLNode, file: String) throws -> LeaseSource {
        /// At the line of what is wrong (`place`), else of the entry.
        func fail(_ message: String, at place: YAMLNode? = nil) -> ConfigurationError {
            ConfigurationError(file: file, line: (place ?? node).mark.line, message: message)
        }
        func strings(_ value: YAMLNode?, _ key: String) throws -> [String] {
            guard let value else { return [] }
            do { return try value.texts() } catch {
                throw fail(error.message(naming: key), at: error.node)
            }
        }
        let known = ["name", "when", "action_field", "grant", "release", "address_field",
                     "hostname_field", "mac_field"]
        for entry in node.mapping ?? YAMLMapping() {
            if let key = entry.key.string, !known.contains(key) {
                var message = "unknown key '\(key)' in a lease source; expected "
                    + ListFormatting.disjunction(known)
                if let near = NearestName.find(key, in: known) {
                    message += " (did you mean '\(near)'?)"
                }
                throw fail(message, at: entry.key)
            }
        }
        /// A key that names one field: a list or a mapping given for it
        /// was dropped, and the default (or nothing) read instead.
        func field(_ key: String) throws -> String? {
            guard let value = node[key], !value.isNull else { return nil }
            guard let text = value.string, !text.isEmpty else {
                throw fail("'\(key)' names one field, not \(value.quotedForMessage)", at: value)
            }
            return text
        }
        guard node.mapping != nil else { throw fail("a lease source must be a mapping") }
        guard let name = try field("name") else { throw fail("a lease source needs a 'name'") }
        guard let address = try field("address_field") else {
            throw fail("lease source '\(name)' needs an 'address_field'")
        }
        var conditions: [String: [String]] = [:]
        if let when = node["when"], !when.isNull {
            guard let entries = when.mapping else {
                throw fail("'when' maps fields to the values they hold", at: when)
            }
            for entry in entries {
                guard let field = entry.key.string else { continue }
                let accepted = try strings(entry.value, "when.\(field)")
                // An empty list accepts no value: the source never matched.
                guard !accepted.isEmpty else {
                    throw fail("'when.\(field)' lists no value ('*' for any)", at: entry.value)
                }
                conditions[field] = accepted
            }
        }
        guard !conditions.isEmpty else {
            throw fail("lease source '\(name)' needs a 'when' condition, or it would read every event")
        }
        let grants = try strings(node["grant"], "grant").map { $0.lowercased() }
        let releases = try strings(node["release"], "release").map { $0.lowercased() }
        // An action both grants and releases: every such event would be
        // read as whichever is tested first, silently.
        if let both = grants.first(where: releases.contains) {
            throw fail("lease source '\(name)' lists the action '\(both)' under both grant and "
                       + "release; an action is one or the other")
        }
        return LeaseSource(
            name: name, conditions: conditions,
            actionField: try field("action_field") ?? "event.action",
            grantActions: grants,
            releaseActions: releases,
            addressField: address, hostnameField: try field("hostname_field"),
            macField: try field("mac_field"))
    }

    /// Adds `extra` to `base`; an entry with a name already there replaces it.
    public static func merge(_ base: [LeaseSource], _ extra: [LeaseSource]) -> [LeaseSource] {
        var result = base.filter { source in !extra.contains { $0.name == source.name } }
        result.append(contentsOf: extra)
        return result
    }
}
