import PerimeterModel
import PerimeterSQLite

extension InventoryStore {
    /// The contextual property definitions of a community: the defaults,
    /// then its custom ones.
    public func propertyDefinitions(community: String) throws -> [PropertyDefinition] {
        let custom = try database.statement("""
            SELECT category, name, type FROM property_definitions WHERE community = ?1
            ORDER BY category, name
            """).rows([.text(community)]) { row -> PropertyDefinition? in
            guard let category = AssetCategory(rawValue: row.text(0)),
                  let type = PropertyType(rawValue: row.text(2)) else { return nil }
            return PropertyDefinition(name: row.text(1), type: type, category: category)
        }.compactMap { $0 }
        return PropertyDefinition.defaults + custom
    }

    /// Defines a custom property; refuses bad names and clashes.
    public func define(_ definition: PropertyDefinition, community: String) throws {
        guard PropertyDefinition.isValidName(definition.name) else {
            throw StoreError(code: .invalid, message:
                "a property name is \(PropertyDefinition.nameRule)")
        }
        let existing = try propertyDefinitions(community: community)
        if existing.contains(where: { $0.name == definition.name && $0.category == definition.category }) {
            throw StoreError(code: .conflict, message:
                "\(definition.category.rawValue) property '\(definition.name)' is already defined")
        }
        try database.statement("""
            INSERT INTO property_definitions (community, category, name, type) VALUES (?1, ?2, ?3, ?4)
            """).run([.text(community), .text(definition.category.rawValue), .text(definition.name),
                      .text(definition.type.rawValue)])
    }
}
