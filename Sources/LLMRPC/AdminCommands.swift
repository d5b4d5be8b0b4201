import ArgumentParser
import FoundationEssentials
import LLMCatalog
import LLMCrypto
import LLMDomain
import LLMJSON
import LLMServer
import LLMStore
#if canImport(Glibc)
import Glibc
#endif

struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage users.", subcommands: [CreateUser.self])

    struct CreateUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create a user. The password is read from the first line of stdin, never from the command line.")

        @OptionGroup var options: CommonOptions
        @Option(name: .long, help: "The user's email (their login).") var email: String
        @Option(name: .long, help: "The user's full name.") var fullName: String?
        @Flag(name: .long, help: "Make the user a superuser (admin).") var superuser = false

        func run() async throws {
            if isatty(0) != 0 { Out.stderr("Password: ") }
            guard let line = readLine(strippingNewline: true), line.count >= 8 else {
                throw ValidationError("give a password of at least 8 characters on stdin")
            }
            let (_, services) = try await startServices(options)
            let hash = try PasswordHasher.hash(line)
            do {
                let user = try services.db.createUser(email: email, fullName: fullName, passwordHash: hash,
                                                      isSuperuser: superuser)
                print("created user \(user.email) (\(user.id))\(superuser ? ", superuser" : "")")
            } catch let e as DomainError {
                throw ValidationError(e.message)
            }
        }
    }
}

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage the encryption of stored API keys.",
                                                    subcommands: [RotateMaster.self])

    struct RotateMaster: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-master",
            abstract: "Re-encrypt every stored API key under a new master key, in one transaction.",
            discussion: """
            With the generated key file (the default), a new key is written to encryption_key.new first, the \
            database is re-encrypted in one transaction, then the file replaces encryption_key; an interruption \
            at any point loses nothing (start-up finishes or undoes it). With LLMRPC_ENCRYPTION_KEY set, give the \
            new key in LLMRPC_NEW_ENCRYPTION_KEY and put it in your configuration afterwards.
            """)

        @OptionGroup var options: CommonOptions

        func run() async throws {
            let (config, services) = try await startServices(options)
            let old = services.cipher
            let newMaster: MasterKey
            let keyFile = "\(config.dataDir)/encryption_key"
            let pendingFile = keyFile + ".new"
            if config.encryptionKey != nil {
                guard let n = ProcessInfo.processInfo.environment["LLMRPC_NEW_ENCRYPTION_KEY"] else {
                    throw ValidationError("LLMRPC_ENCRYPTION_KEY is set: give the new key in LLMRPC_NEW_ENCRYPTION_KEY")
                }
                newMaster = try MasterKey(base64: n)
            } else {
                newMaster = MasterKey.generate()
                try MasterKeyFiles.writePending(newMaster, path: pendingFile)
            }
            let cipher = KeyCipher(master: newMaster)
            let count = try services.db.reencryptAllKeys(newMasterKeyId: newMaster.id) { owner, provider, ct, nonce in
                let ad = "\(owner):\(provider.rawValue)"
                let key = try old.open(ciphertext: ct, nonce: nonce, associatedData: ad)
                let sealed = cipher.seal(key, associatedData: ad)
                return (sealed.ciphertext, sealed.nonce)
            }
            if config.encryptionKey == nil {
                try MasterKeyFiles.promote(pending: pendingFile, to: keyFile)
            }
            print("re-encrypted \(count) stored key(s) under the new master key \(newMaster.id)")
        }
    }
}

struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models",
                                                    abstract: "The models you can use and their prices; the catalogue.",
                                                    subcommands: [List.self, Import.self], defaultSubcommand: List.self)

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import models and prices from a catalogue file (llmrpc's format or LiteLLM's model_prices_and_context_window.json).")

        @OptionGroup var options: CommonOptions
        @Argument(help: "The file to import.") var file: String

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            let result = try CatalogImport.parse(Array(data))
            let (_, services) = try await startServices(options)
            let (inserted, updated) = try services.db.upsertModels(result.entries.map(NewModel.init(entry:)),
                                                                  overwritePrices: true)
            print("imported \(result.entries.count) model(s): \(inserted) new, \(updated) updated; skipped \(result.skipped.count)")
        }
    }
}
