import Foundation
import LLMDomain
import Testing
@testable import LLMStore

@Suite struct ModelTests {
    @Test func createsFindsAndRefusesDuplicates() throws {
        let db = try AppDatabase.makeTemporary()
        let m = try db.createModel(NewModel(
            provider: .anthropic, modelName: "claude-sonnet-4-5", displayName: "Claude Sonnet 4.5",
            prices: ModelPrices(input: Fixture.price("3"), output: Fixture.price("15"),
                                cachedInput: Fixture.price("0.3"), cacheWrite: Fixture.price("3.75")),
            contextWindow: 200_000, maxOutputTokens: 64_000, source: "anthropic.com", checkedOn: "2026-11-28"))
        #expect(m.prices.cachedInput?.picodollarsPerToken == 300_000)
        #expect(m.prices.cacheWrite?.picodollarsPerToken == 3_750_000)
        #expect(try db.model(id: m.id) == m)
        #expect(try db.model(provider: .anthropic, name: "claude-sonnet-4-5") == m)
        #expect(try db.model(provider: nil, name: "claude-sonnet-4-5") == m)
        #expect(try db.model(provider: .openai, name: "claude-sonnet-4-5") == nil)
        #expect(throws: DomainError(.modelExists, "A model with this provider and model name already exists")) {
            _ = try db.createModel(NewModel(provider: .anthropic, modelName: "claude-sonnet-4-5", prices: .unpriced))
        }
        // The same name under another provider is another model.
        let other = try db.createModel(NewModel(provider: .openai, modelName: "claude-sonnet-4-5", prices: .unpriced))
        #expect(other.prices == .unpriced && other.displayName == "claude-sonnet-4-5")
        #expect(try db.modelCount() == 2)
    }

    @Test func updateKeepsSetsAndClearsFields() throws {
        let db = try AppDatabase.makeTemporary()
        let m = try Fixture.model(db, .openai, "gpt-x", input: "1.25", output: "10", cachedInput: "0.125")
        let u = try db.updateModel(id: m.id, ModelChanges(
            displayName: "GPT X", inputPrice: .some(Fixture.price("2")), cachedInputPrice: .some(nil), isActive: false))
        #expect(u.displayName == "GPT X" && !u.isActive)
        #expect(u.prices == ModelPrices(input: Fixture.price("2"), output: Fixture.price("10"), cachedInput: nil))
        #expect(u.createdAt == m.createdAt)
        let taken = try Fixture.model(db, .openai, "gpt-y")
        #expect(throws: DomainError(.modelExists, "A model with this provider and model name already exists")) {
            _ = try db.updateModel(id: taken.id, ModelChanges(modelName: "gpt-x"))
        }
        #expect(throws: DomainError(.modelNotFound, "Model not found")) {
            _ = try db.updateModel(id: "nope", ModelChanges(isActive: true))
        }
    }

    @Test func listsFilterByActivityAndProvider() throws {
        let db = try AppDatabase.makeTemporary()
        let a = try Fixture.model(db, .openai, "b-model")
        _ = try Fixture.model(db, .anthropic, "a-model")
        _ = try db.updateModel(id: a.id, ModelChanges(isActive: false))
        _ = try Fixture.model(db, .google, "c-model")
        #expect(try db.listModels(activeOnly: nil, provider: nil).map(\.modelName) == ["a-model", "c-model", "b-model"])
        #expect(try db.listModels(activeOnly: true, provider: nil).map(\.modelName) == ["a-model", "c-model"])
        #expect(try db.listModels(activeOnly: false, provider: nil).map(\.modelName) == ["b-model"])
        #expect(try db.listModels(activeOnly: nil, provider: .google).map(\.modelName) == ["c-model"])
    }

    @Test func deleteRemovesOnlyTheModel() throws {
        let db = try AppDatabase.makeTemporary()
        let m = try Fixture.model(db)
        try db.deleteModel(id: m.id)
        #expect(try db.model(id: m.id) == nil)
        #expect(throws: DomainError(.modelNotFound, "Model not found")) { try db.deleteModel(id: m.id) }
    }

    @Test func upsertInsertsNewAndUpdatesExistingModels() throws {
        let db = try AppDatabase.makeTemporary()
        let old = try Fixture.model(db, .anthropic, "claude-a", input: "3", output: "15")
        _ = try db.updateModel(id: old.id, ModelChanges(isActive: false))
        let catalogue = [
            NewModel(provider: .anthropic, modelName: "claude-a", displayName: "Claude A",
                     prices: ModelPrices(input: Fixture.price("4"), output: Fixture.price("20")),
                     contextWindow: 100_000, source: "seed", checkedOn: "2026-11-01"),
            NewModel(provider: .google, modelName: "gemini-b", prices: ModelPrices(input: nil, output: nil)),
        ]
        #expect(try db.upsertModels(catalogue, overwritePrices: false) == (inserted: 1, updated: 1))
        var a = try #require(try db.model(id: old.id))
        #expect(a.displayName == "Claude A" && a.contextWindow == 100_000 && !a.isActive)
        #expect(a.prices == old.prices && a.source == nil)
        // Nothing changed this time.
        #expect(try db.upsertModels(catalogue, overwritePrices: false) == (inserted: 0, updated: 0))
        #expect(try db.upsertModels(catalogue, overwritePrices: true) == (inserted: 0, updated: 1))
        a = try #require(try db.model(id: old.id))
        #expect(a.prices == catalogue[0].prices && a.source == "seed" && a.checkedOn == "2026-11-01")
        #expect(try db.modelCount() == 2)
    }
}
