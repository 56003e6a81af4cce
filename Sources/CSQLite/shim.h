#include <sqlite3.h>

/// Turns off SQLite's memory statistics, which take a process-wide mutex
/// on every allocation. Only before the library is initialised (the first
/// connection); later it returns SQLITE_MISUSE and changes nothing.
/// sqlite3_config is variadic, which Swift cannot call: hence this.
static inline int perimeter_sqlite3_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
