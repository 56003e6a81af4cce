import PerimeterIngest
import PerimeterSQLite
import PerimeterStore

enum VersionCommand {
    static let version = "0.1.0"

    static var text: String {
        """
        perimeter \(version)
        store schema \(InventoryStore.schemaVersion), SQLite \(Database.libraryVersion)
        simdjson kernel \(EventReader.activeKernel)
        """
    }
}
