import PerimeterModel
import PerimeterSQLite

extension InventoryStore {
    /// Renames a custom property definition of a community. Values that
    /// assets already hold under the old name are renamed by the caller
    /// (the inventory is the authority on asset rows).
    public func renameProperty(_ name: String, to newName: String, category: AssetCategory,
                               community: String) throws {
        guard PropertyDefinition.isValidName(newName) else {
            throw StoreError(code: .invalid, message:
                "a property name is \(PropertyDefinition.nameRule)")
        }
        let existing = try propertyDefinitions(community: community)
            .filter { $0.category == category }
        guard let definition = existing.first(where: { $0.name == name }) else {
            throw StoreError(code: .notFound,
                             message: "no \(category.rawValue) property '\(name)'")
        }
        guard !definition.isDefault else {
            throw StoreError(code: .conflict, message:
                "\(category.rawValue) property '\(name)' is a default one; only custom "
                    + "properties can be renamed or removed")
        }
        guard !existing.contains(where: { $0.name == newName }) else {
            throw StoreError(code: .conflict, message:
                "\(category.rawValue) property '\(newName)' is already defined")
        }
        try database.statement("""
            UPDATE property_definitions SET name = ?4
            WHERE community = ?1 AND category = ?2 AND name = ?3
            """).run([.text(community), .text(category.rawValue), .text(name), .text(newName)])
    }

    /// Removes a custom property definition of a community.
    public func removeProperty(_ name: String, category: AssetCategory,
                               community: String) throws {
        let existing = try propertyDefinitions(community: community)
        guard let definition = existing.first(where: {
            $0.name == name && $0.category == category
        }) else {
            throw StoreError(code: .notFound,
                             message: "no \(category.rawValue) property '\(name)'")
        }
        guard !definition.isDefault else {
            throw StoreError(code: .conflict, message:
                "\(category.rawValue) property '\(name)' is a default one; only custom "
                    + "properties can be renamed or removed")
        }
        try database.statement("""
            DELETE FROM property_definitions WHERE community = ?1 AND category = ?2 AND name = ?3
            """).run([.text(community), .text(category.rawValue), .text(name)])
    }
}
