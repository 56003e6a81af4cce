import PerimeterCrypto
import PerimeterHTTP
import PerimeterIngest
import PerimeterInput
import PerimeterRegex
import PerimeterSQLite
import PerimeterStore
import PerimeterYAML

enum VersionCommand {
    static let version = "0.1.0"

    static var text: String {
        """
        perimeter \(version)
        store schema \(InventoryStore.schemaVersion), SQLite \(Database.libraryVersion)
        simdjson kernel \(EventReader.activeKernel)
        libyaml \(YAMLParser.libraryVersion), PCRE2 \(Regex.libraryVersion), \
        libmicrohttpd \(HTTPServer.libraryVersion), zlib \(Gzip.libraryVersion)
        \(SHA256Digest.libraryVersion)
        """
    }
}
