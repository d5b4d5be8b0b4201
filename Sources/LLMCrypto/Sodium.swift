import CSodium

/// libsodium's one-time set-up.
public enum Sodium {
    /// `sodium_init()`'s result, computed once (Swift initialises a static `let` exactly once,
    /// thread-safely); 0 = initialised now, 1 = already initialised, -1 = failure.
    private static let initResult: Int32 = sodium_init()

    /// Initialises libsodium. Idempotent and thread-safe; every API of this module calls it,
    /// so calling it at start-up only moves the cost there. Stops the program if libsodium
    /// cannot start (no entropy source): nothing here could work safely without it.
    public static func initialize() {
        if initResult < 0 {
            fatalError("libsodium failed to initialise (sodium_init returned \(initResult)); is /dev/urandom available?")
        }
    }
}
