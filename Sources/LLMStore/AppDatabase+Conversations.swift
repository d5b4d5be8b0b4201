import FoundationEssentials
import LLMDomain

/// A user's conversations. Another user's conversation is reported as not found.
extension AppDatabase {
    /// A page of the user's conversations, most recently updated first, and their total number.
    public func listConversations(userId: String, skip: Int, limit: Int) throws
        -> (items: [ConversationRecord], total: Int)
    {
        try read { db in
            let items = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM conversations WHERE user_id = ? ORDER BY updated_at DESC, id LIMIT ? OFFSET ?"),
                arguments: [userId, max(0, limit), max(0, skip)]
            ).map(ConversationRecord.init(row:))
            let total = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM conversations WHERE user_id = ?"),
                                         arguments: [userId]) ?? 0
            return (items, total)
        }
    }

    /// The conversation and its messages in order. Not the user's → `DomainError(.conversationNotFound)`.
    public func conversation(id: String, userId: String) throws -> (ConversationRecord, [MessageRecord]) {
        try read { db in
            let conversation = try ownedConversation(db, id: id, userId: userId)
            return (conversation, try messages(db, conversationId: id))
        }
    }

    /// The conversation's messages in order, to build a request's context.
    /// Not the user's → `DomainError(.conversationNotFound)`.
    public func conversationHistory(id: String, userId: String) throws -> [MessageRecord] {
        try read { db in
            _ = try ownedConversation(db, id: id, userId: userId)
            return try messages(db, conversationId: id)
        }
    }

    /// Deletes the conversation and its messages; its usage rows stay.
    /// Not the user's → `DomainError(.conversationNotFound)`.
    public func deleteConversation(id: String, userId: String) throws {
        try write { db in
            try db.cachedStatement(sql: "DELETE FROM conversations WHERE id = ? AND user_id = ?").execute(arguments: [id, userId])
            if db.changesCount == 0 { throw DomainError(.conversationNotFound, "Conversation not found") }
        }
    }

    private func ownedConversation(_ db: Database, id: String, userId: String) throws -> ConversationRecord {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM conversations WHERE id = ? AND user_id = ?"),
                                         arguments: [id, userId])
        else { throw DomainError(.conversationNotFound, "Conversation not found") }
        return ConversationRecord(row: row)
    }

    private func messages(_ db: Database, conversationId: String) throws -> [MessageRecord] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM llm_messages WHERE conversation_id = ? ORDER BY seq"),
                         arguments: [conversationId]).map(MessageRecord.init(row:))
    }
}
