#include <sqlite3.h>

/// Turns off SQLite's memory statistics (sqlite3_config is variadic: not callable from Swift).
/// With them on, every sqlite3_malloc and sqlite3_free takes one process-wide mutex. Must run
/// before the library initialises (the first open); later it returns SQLITE_MISUSE and changes
/// nothing.
static inline int llm_sqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
