import LLMDomain
import Synchronization

/// The rows every chat request needs (its user, its model, the keys for its provider) kept
/// in memory, valid while the settings generation (bumped by triggers on every change of
/// users, keys and models, from any process) stays the same.
///
/// A request calls `refreshSettingsCache()` once (one tiny read) before it uses the
/// `cached…` lookups; a lookup that misses reads the row and the generation in one snapshot
/// and keeps the row only if the generation is still the cache's, so a row read before a
/// change can never be kept after it.
final class SettingsCache: Sendable {
    struct State {
        var generation: Int64 = -1
        var users: [String: UserRecord?] = [:]
        var modelsByID: [String: ModelRecord?] = [:]
        var modelsByName: [String: ModelRecord?] = [:]
        var keys: [KeysKey: CachedKeys] = [:]
        var count: Int { users.count + modelsByID.count + modelsByName.count + keys.count }
    }

    struct KeysKey: Hashable {
        var userId: String
        var provider: Provider
    }

    struct CachedKeys {
        var user: StoredKey?
        var system: StoredKey?
    }

    /// Past this many entries the cache starts again empty (a bound, not an expected size).
    static let maxEntries = 10_000

    let state = Mutex(State())

    /// Adopts `generation` if it is newer than the cache's (emptying the cache).
    func observe(_ generation: Int64) {
        state.withLock { s in
            if generation > s.generation { s = State(generation: generation) }
        }
    }

    func lookup<T>(_ get: (State) -> T?) -> T? {
        state.withLock { get($0) }
    }

    /// Keeps a row read at `generation` if that is still the cache's generation.
    func store(at generation: Int64, _ put: (inout State) -> Void) {
        state.withLock { s in
            guard generation == s.generation else { return }
            if s.count >= Self.maxEntries { s = State(generation: generation) }
            put(&s)
        }
    }
}

extension AppDatabase {
    /// The current settings generation.
    public func settingsGeneration() throws -> Int64 {
        try read { db in try Self.generation(db) }
    }

    /// Checks the settings generation and forgets every cached row if it changed. Call once
    /// per request, before the `cached…` lookups.
    public func refreshSettingsCache() throws {
        // One statement needs no explicit transaction: SQLite reads it from one snapshot.
        let generation: Int64
        do {
            generation = try pool.readLatest { db in try Self.generation(db) }
        } catch {
            throw StorageError.map(error, path: pool.path)
        }
        settingsCache.observe(generation)
    }

    /// The generation the cached rows belong to (-1 before the first refresh).
    public var settingsCacheGeneration: Int64 { settingsCache.state.withLock { $0.generation } }

    /// Adopts a generation read elsewhere (see `StaleSettings`), forgetting older rows.
    public func adoptSettingsGeneration(_ generation: Int64) {
        settingsCache.observe(generation)
    }

    /// `user(id:)`, from memory when possible.
    public func cachedUser(id: String) throws -> UserRecord? {
        if let hit = settingsCache.lookup({ $0.users[id] }) { return hit }
        let (user, generation) = try read { db in (try fetchUser(db, id: id), try Self.generation(db)) }
        settingsCache.store(at: generation) { $0.users[id] = .some(user) }
        return user
    }

    /// `model(id:)`, from memory when possible.
    public func cachedModel(id: String) throws -> ModelRecord? {
        if let hit = settingsCache.lookup({ $0.modelsByID[id] }) { return hit }
        let (model, generation) = try read { db in (try fetchModel(db, id: id), try Self.generation(db)) }
        settingsCache.store(at: generation) { $0.modelsByID[id] = .some(model) }
        return model
    }

    /// `model(provider: nil, name:)`, from memory when possible.
    public func cachedModel(name: String) throws -> ModelRecord? {
        if let hit = settingsCache.lookup({ $0.modelsByName[name] }) { return hit }
        let (model, generation) = try read { db in (try fetchModel(db, name: name), try Self.generation(db)) }
        settingsCache.store(at: generation) { $0.modelsByName[name] = .some(model) }
        return model
    }

    /// `keys(userId:provider:)`, from memory when possible.
    public func cachedKeys(userId: String, provider: Provider) throws -> (user: StoredKey?, system: StoredKey?) {
        let k = SettingsCache.KeysKey(userId: userId, provider: provider)
        if let hit = settingsCache.lookup({ $0.keys[k] }) { return (hit.user, hit.system) }
        let (keys, generation) = try read { db in (try fetchKeys(db, userId: userId, provider: provider), try Self.generation(db)) }
        settingsCache.store(at: generation) { $0.keys[k] = SettingsCache.CachedKeys(user: keys.user, system: keys.system) }
        return keys
    }

    static func generation(_ db: Database) throws -> Int64 {
        let st = try RawStatement(db, "SELECT n FROM settings_generation WHERE id = 1")
        defer { st.finish() }
        return try st.step() ? st.int64(0) : 0
    }
}
