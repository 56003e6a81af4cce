import PerimeterCrypto
import PerimeterHTTP
import PerimeterIngest
import PerimeterInput
import PerimeterJSON
import PerimeterRegex
import PerimeterSQLite
import PerimeterStore
import PerimeterYAML

enum VersionCommand {
    static let version = "0.1.0"

    static let spec = CommandSpec(
        name: "version", summary: "Print the versions of Perimeter, its store schema and the "
            + "libraries it uses, with the simdjson kernel this machine runs.",
        usage: "version", options: [], example: "perimeter version",
        takesArguments: false)

    static var text: String {
        """
        perimeter \(version)
        store schema \(InventoryStore.schemaVersion), SQLite \(Database.libraryVersion)
        simdjson \(EventParser.libraryVersion), kernel \(EventReader.activeKernel)
        libyaml \(YAMLParser.libraryVersion), PCRE2 \(Regex.libraryVersion), \
        libmicrohttpd \(HTTPServer.libraryVersion), zlib \(Gzip.libraryVersion)
        \(SHA256Digest.libraryVersion)
        """
    }
}
