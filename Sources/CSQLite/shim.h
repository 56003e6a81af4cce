#include <sqlite3.h>

/// Turns off SQLite's memory statistics, which take a process-wide mutex
/// on every allocation. Only before the library is initialised (the first
/// connection); later it returns SQLITE_MISUSE and changes nothing.
/// sqlite3_config is variadic, which Swift cannot call: hence this.
static inline int perimeter_sqlite3_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/// Reads every file name as a file name: Debian's SQLite takes a name that
/// starts with `file:` as a URI (`file:perimeter.db` opened perimeter.db,
/// past the writer lock taken on the name as given; `file:x?mode=memory`
/// kept nothing). Only before the library is initialised, as above.
static inline int perimeter_sqlite3_disable_uri_names(void) {
    return sqlite3_config(SQLITE_CONFIG_URI, 0);
}
