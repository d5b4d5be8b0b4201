import FoundationEssentials
import LLMDomain

/// The model catalogue and its prices.
extension AppDatabase {
    /// Adds a model. Duplicate (provider, model name) → `DomainError(.modelExists)`.
    public func createModel(_ m: NewModel) throws -> ModelRecord {
        try write { db in
            let id = try insertModel(db, m, now: Timestamp.ms(Date()))
            return try fetchModel(db, id: id)!
        }
    }

    /// Changes the given fields of a model. A price change applies to later requests only:
    /// usage rows keep the prices they used. Unknown id → `DomainError(.modelNotFound)`;
    /// a (provider, model name) taken by another model → `DomainError(.modelExists)`.
    public func updateModel(id: String, _ changes: ModelChanges) throws -> ModelRecord {
        try write { db in
            var sets: [String] = []
            var arguments: StatementArguments = []
            func set(_ column: String, _ value: (any DatabaseValueConvertible)?) {
                sets.append("\(column) = ?")
                arguments += [value]
            }
            if let v = changes.provider { set("provider", v.rawValue) }
            if let v = changes.modelName { set("model_name", v) }
            if let v = changes.displayName { set("display_name", v) }
            if let v = changes.inputPrice { set("input_price_pico", v?.picodollarsPerToken) }
            if let v = changes.outputPrice { set("output_price_pico", v?.picodollarsPerToken) }
            if let v = changes.cachedInputPrice { set("cached_input_price_pico", v?.picodollarsPerToken) }
            if let v = changes.cacheWritePrice { set("cache_write_price_pico", v?.picodollarsPerToken) }
            if let v = changes.contextWindow { set("context_window", v) }
            if let v = changes.maxOutputTokens { set("max_output_tokens", v) }
            if let v = changes.supportsStreaming { set("supports_streaming", v) }
            if let v = changes.supportsTools { set("supports_tools", v) }
            if let v = changes.isActive { set("is_active", v) }
            if let v = changes.source { set("source", v) }
            if let v = changes.checkedOn { set("checked_on", v) }
            set("updated_at", Timestamp.ms(Date()))
            arguments += [id]
            do {
                try db.cachedStatement(sql: "UPDATE llm_models SET \(sets.joined(separator: ", ")) WHERE id = ?").execute(arguments: arguments)
            } catch where StorageError.isUniqueViolation(error) {
                throw DomainError(.modelExists, "A model with this provider and model name already exists")
            }
            guard db.changesCount > 0, let model = try fetchModel(db, id: id) else {
                throw DomainError(.modelNotFound, "Model not found")
            }
            return model
        }
    }

    /// Deletes a model. Its conversations and usage rows stay. Unknown id → `DomainError(.modelNotFound)`.
    public func deleteModel(id: String) throws {
        try write { db in
            try db.cachedStatement(sql: "DELETE FROM llm_models WHERE id = ?").execute(arguments: [id])
            if db.changesCount == 0 { throw DomainError(.modelNotFound, "Model not found") }
        }
    }

    /// The model with this id, or nil.
    public func model(id: String) throws -> ModelRecord? {
        try read { db in try fetchModel(db, id: id) }
    }

    /// The model with this provider's model name; with `provider` nil, any provider's
    /// (an active one first, then by provider name).
    public func model(provider: Provider?, name: String) throws -> ModelRecord? {
        try read { db in
            guard let provider else { return try fetchModel(db, name: name) }
            return try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM llm_models WHERE provider = ? AND model_name = ?"),
                                    arguments: [provider.rawValue, name]).map(ModelRecord.init(row:))
        }
    }

    /// Any provider's model with this name: an active one first, then by provider name.
    func fetchModel(_ db: Database, name: String) throws -> ModelRecord? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM llm_models WHERE model_name = ? ORDER BY is_active DESC, provider LIMIT 1"),
            arguments: [name]).map(ModelRecord.init(row:))
    }

    /// The models, by provider then model name. `activeOnly`: true = active only,
    /// false = inactive only, nil = all. `provider` nil = every provider.
    public func listModels(activeOnly: Bool?, provider: Provider?) throws -> [ModelRecord] {
        try read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let activeOnly { conditions.append("is_active = ?"); arguments += [activeOnly] }
            if let provider { conditions.append("provider = ?"); arguments += [provider.rawValue] }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM llm_models \(whereClause) ORDER BY provider, model_name"),
                                    arguments: arguments).map(ModelRecord.init(row:))
        }
    }

    /// Seeds or imports a catalogue in one transaction. A new (provider, model name) is
    /// inserted as given. An existing one gets the new display name, context window, max
    /// output tokens and capabilities; its prices, `source` and `checkedOn` (which describe
    /// the prices) only when `overwritePrices`; its `isActive` is never changed (an admin's
    /// choice). `updated` counts the existing models that actually changed.
    public func upsertModels(_ models: [NewModel], overwritePrices: Bool) throws -> (inserted: Int, updated: Int) {
        try write { db in
            let now = Timestamp.ms(Date())
            var inserted = 0, updated = 0
            for m in models {
                guard let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT * FROM llm_models WHERE provider = ? AND model_name = ?"),
                    arguments: [m.provider.rawValue, m.modelName])
                else {
                    _ = try insertModel(db, m, now: now)
                    inserted += 1
                    continue
                }
                let old = try ModelRecord(row: row)
                var new = old
                new.displayName = m.displayName
                new.contextWindow = m.contextWindow
                new.maxOutputTokens = m.maxOutputTokens
                new.supportsStreaming = m.supportsStreaming
                new.supportsTools = m.supportsTools
                if overwritePrices {
                    new.prices = m.prices
                    new.source = m.source
                    new.checkedOn = m.checkedOn
                }
                guard new != old else { continue }
                try db.cachedStatement(sql: """
                        UPDATE llm_models SET display_name = ?, context_window = ?, max_output_tokens = ?,
                            supports_streaming = ?, supports_tools = ?, input_price_pico = ?, output_price_pico = ?,
                            cached_input_price_pico = ?, cache_write_price_pico = ?, source = ?, checked_on = ?,
                            updated_at = ?
                        WHERE id = ?
                        """).execute(arguments: StatementArguments(
                        [new.displayName, new.contextWindow, new.maxOutputTokens, new.supportsStreaming,
                         new.supportsTools] as [(any DatabaseValueConvertible)?]
                        + new.prices.columnValues as [(any DatabaseValueConvertible)?]
                        + [new.source, new.checkedOn, now, old.id] as [(any DatabaseValueConvertible)?]))
                updated += 1
            }
            return (inserted, updated)
        }
    }

    /// The number of models in the catalogue (active or not).
    public func modelCount() throws -> Int {
        try read { db in try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM llm_models")) ?? 0 }
    }

    // MARK: - Helpers

    private func insertModel(_ db: Database, _ m: NewModel, now: Int64) throws -> String {
        let id = newId()
        do {
            try db.cachedStatement(sql: """
                    INSERT INTO llm_models (id, provider, model_name, display_name, input_price_pico, output_price_pico,
                        cached_input_price_pico, cache_write_price_pico, context_window, max_output_tokens,
                        supports_streaming, supports_tools, is_active, source, checked_on, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: StatementArguments(
                    [id, m.provider.rawValue, m.modelName, m.displayName] as [(any DatabaseValueConvertible)?]
                    + m.prices.columnValues as [(any DatabaseValueConvertible)?]
                    + [m.contextWindow, m.maxOutputTokens, m.supportsStreaming, m.supportsTools, m.isActive,
                       m.source, m.checkedOn, now, now] as [(any DatabaseValueConvertible)?]))
        } catch where StorageError.isUniqueViolation(error) {
            throw DomainError(.modelExists, "A model with this provider and model name already exists")
        }
        return id
    }

    func fetchModel(_ db: Database, id: String) throws -> ModelRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM llm_models WHERE id = ?"), arguments: [id]).map(ModelRecord.init(row:))
    }
}
