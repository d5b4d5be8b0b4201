import ArgumentParser
import FoundationEssentials
import LLMCrypto
import LLMDomain
import LLMServer
import LLMStore
#if canImport(Glibc)
import Glibc
#endif

/// `llmrpc doctor`: checks the set-up and says what to fix. It creates no files.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the configuration, the data directory, the secrets' file modes, the database and the provider keys.",
        discussion: """
        Prints one line per check, "ok" or "problem: … — fix: …", and exits 1 if there was any \
        problem (0 otherwise). Checked:
          - the configuration (environment, .env file, flags) loads, and a .env file holding \
        secrets is readable by you only;
          - the data directory exists with mode 0700, and the generated secrets (secret_key, \
        encryption_key) and the saved login token exist with mode 0600 and are well formed;
          - the database opens and answers, has users and active models, and its stored API keys \
        are encrypted under the current master key;
          - which providers have a system key (ANTHROPIC_API_KEY, OPENAI_API_KEY, GOOGLE_API_KEY \
        or one stored by an admin), and that their endpoints use https.
        Keys are only ever shown masked. Apart from opening the database as the server does, it \
        changes nothing: run it before the first `llmrpc serve` and it says what that will create.
        """)

    @OptionGroup var options: CommonOptions

    func run() async throws {
        var report = DoctorReport()
        defer { report.finish() }
        let config: ServerConfig
        do {
            config = try options.config()
        } catch {
            report.problem("configuration: \(error)", fix: "correct that value in the environment, the .env file or the flags")
            throw ExitCode(1)
        }
        checkEnvFile(&report)
        report.ok("configuration: loaded; data dir \(config.dataDir), database \(config.databasePath)")
        let dataDirExists = checkDataDir(config, &report)
        let dbExists = FileManager.default.fileExists(atPath: config.databasePath)
        let master = checkSecrets(config, dataDirExists: dataDirExists, dbExists: dbExists, &report)
        let db = dataDirExists || dbExists ? checkDatabase(config, exists: dbExists, master: master, &report) : nil
        checkProviders(config, db: db, &report)
        if report.problems > 0 { throw ExitCode(1) }
    }

    /// A .env file that holds secrets must be readable by its owner only.
    func checkEnvFile(_ report: inout DoctorReport) {
        let path = options.envFile ?? FileManager.default.currentDirectoryPath + "/.env"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        let secretNames = ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GOOGLE_API_KEY", "LLMRPC_SECRET_KEY",
                           "LLMRPC_ENCRYPTION_KEY", "FIRST_SUPERUSER_PASSWORD", "LLMRPC_ACCESS_TOKEN"]
        let holdsSecret = text.split(whereSeparator: \.isNewline).contains { line in
            let l = line.trimmingWhitespace()
            return secretNames.contains { l.hasPrefix($0 + "=") || l.hasPrefix("export \($0)=") }
        }
        if holdsSecret {
            checkMode(path, what: "env file", expected: 0o600, &report)
        } else {
            report.ok("env file \(path): read")
        }
    }

    /// The data directory: present, a directory, ours, mode 0700.
    func checkDataDir(_ config: ServerConfig, _ report: inout DoctorReport) -> Bool {
        var st = stat()
        guard stat(config.dataDir, &st) == 0 else {
            report.ok("data dir \(config.dataDir): not created yet; `llmrpc serve` creates it (mode 0700) with fresh secrets and the database")
            return false
        }
        guard st.st_mode & S_IFMT == S_IFDIR else {
            report.problem("data dir \(config.dataDir) is not a directory",
                           fix: "move that file away, or set LLMRPC_DATA_DIR / --data-dir to a directory")
            return true
        }
        checkMode(config.dataDir, what: "data dir", expected: 0o700, &report)
        return true
    }

    /// The secret files (unless the secret comes from the configuration) and the login token.
    /// Returns the master key when it could be read, to check the stored keys against.
    func checkSecrets(_ config: ServerConfig, dataDirExists: Bool, dbExists: Bool,
                      _ report: inout DoctorReport) -> MasterKey? {
        if config.secretKey != nil {
            report.ok("token signing key: LLMRPC_SECRET_KEY from the configuration")
        } else if dataDirExists {
            let path = "\(config.dataDir)/secret_key"
            if let bytes = readSecretFile(path, what: "token signing key", missingFix:
                "start `llmrpc serve` once to generate it (tokens signed with a lost key stop working: everyone logs in again)", &report) {
                if bytes.count < 32 {
                    report.problem("token signing key \(path) is \(bytes.count) bytes, fewer than 32",
                                   fix: "remove it and start `llmrpc serve` to generate a new one (everyone logs in again)")
                }
            }
        }

        var master: MasterKey?
        if let k = config.encryptionKey {
            do {
                master = try MasterKey(base64: k)
                report.ok("encryption key: LLMRPC_ENCRYPTION_KEY from the configuration (id \(master!.id))")
            } catch {
                report.problem("LLMRPC_ENCRYPTION_KEY is not 32 bytes of base64",
                               fix: "set it to the key the stored API keys were encrypted with (a new one: head -c32 /dev/urandom | base64)")
            }
        } else if dataDirExists {
            let path = "\(config.dataDir)/encryption_key"
            let missingFix = dbExists
                ? "restore it from a backup: without it the stored API keys cannot be decrypted (or, if none are stored, start `llmrpc serve` to generate one)"
                : "start `llmrpc serve` once to generate it"
            if let bytes = readSecretFile(path, what: "encryption key", missingFix: missingFix, &report) {
                do {
                    master = try MasterKey(bytes: bytes)
                } catch {
                    report.problem("encryption key \(path) is not a 32-byte key", fix: "restore it from a backup")
                }
            }
            if FileManager.default.fileExists(atPath: path + ".new") {
                report.ok("encryption key: an interrupted rotation (\(path).new); the next start finishes or undoes it")
            }
        }

        let token = TokenStore.path(config)
        if FileManager.default.fileExists(atPath: token) {
            checkMode(token, what: "saved login token", expected: 0o600, &report)
        }
        return master
    }

    /// Reads a generated base64 secret, reporting its mode; nil (and a problem) when unusable.
    func readSecretFile(_ path: String, what: String, missingFix: String, _ report: inout DoctorReport) -> [UInt8]? {
        guard FileManager.default.fileExists(atPath: path) else {
            report.problem("\(what) \(path) is missing", fix: missingFix)
            return nil
        }
        guard checkMode(path, what: what, expected: 0o600, &report) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            report.problem("\(what) \(path) cannot be read", fix: "make it yours and readable: chmod 600 \(path)")
            return nil
        }
        let text = String(decoding: data, as: UTF8.self).trimmingWhitespaceAndNewlines()
        guard let decoded = Data(base64Encoded: text), !decoded.isEmpty else {
            report.problem("\(what) \(path) is empty or not base64", fix: "restore it from a backup")
            return nil
        }
        return [UInt8](decoded)
    }

    /// One line: the file is ours and nobody else may read it (mode at most `expected`).
    /// Returns false when it is a problem.
    @discardableResult
    func checkMode(_ path: String, what: String, expected: mode_t, _ report: inout DoctorReport) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else {
            report.problem("\(what) \(path): \(String(cString: strerror(errno)))", fix: "check the path and its permissions")
            return false
        }
        let mode = st.st_mode & 0o777
        let octal = String(mode, radix: 8)
        if st.st_uid != geteuid() {
            report.problem("\(what) \(path) belongs to uid \(st.st_uid), not you (uid \(geteuid()))",
                           fix: "chown \(geteuid()) \(path), or run llmrpc as its owner")
            return false
        }
        if mode & 0o077 != 0 {
            report.problem("\(what) \(path) is open to other users (mode \(octal))",
                           fix: "chmod \(String(expected, radix: 8)) \(path)")
            return false
        }
        report.ok("\(what) \(path): mode \(octal)")
        return true
    }

    /// Opens the database (as the server does), asks it a question, counts what matters.
    func checkDatabase(_ config: ServerConfig, exists: Bool, master: MasterKey?,
                       _ report: inout DoctorReport) -> AppDatabase? {
        let path = config.databasePath
        guard exists else {
            report.problem("database \(path) does not exist",
                           fix: "start `llmrpc serve` once (it creates it), or point LLMRPC_DATABASE / --database at yours")
            return nil
        }
        let db: AppDatabase
        do {
            db = try AppDatabase(path: path)
            try db.healthCheck()
        } catch {
            report.problem("database \(path) cannot be opened: \(error)",
                           fix: "check the file and its directory are yours and writable, and that it is an llmrpc database")
            return nil
        }
        do {
            let users = try db.listUsers(skip: 0, limit: 0).total
            let models = try db.listModels(activeOnly: true, provider: nil).count
            report.ok("database \(path): answers; \(users) user(s), \(models) active model(s)")
            if users == 0 {
                report.problem("there are no users", fix:
                    "set FIRST_SUPERUSER and FIRST_SUPERUSER_PASSWORD and start `llmrpc serve`, or run `llmrpc users create --email E --superuser`")
            }
            if models == 0 {
                report.problem("there are no active models", fix: "run `llmrpc models import FILE` or create them with admin/llmModels/create")
            }
            let used = try db.storedMasterKeyIds()
            if let master {
                let others = used.subtracting([master.id])
                if others.isEmpty {
                    report.ok("stored API keys: \(used.isEmpty ? "none yet" : "encrypted under the current master key \(master.id)")")
                } else {
                    report.problem("some stored API keys are encrypted under another master key (\(others.sorted().joined(separator: ", "))) and cannot be decrypted",
                                   fix: "restore the encryption key they were made with (encryption_key or LLMRPC_ENCRYPTION_KEY)")
                }
            }
        } catch {
            report.problem("database \(path): \(error)", fix: "check the file is an llmrpc database and not damaged")
        }
        return db
    }

    /// Which providers have a system key, masked; and whether their endpoints are safe for keys.
    func checkProviders(_ config: ServerConfig, db: AppDatabase?, _ report: inout DoctorReport) {
        let stored = (try? db?.systemKeys()) ?? [:]
        let envNames: [Provider: String] = [.anthropic: "ANTHROPIC", .openai: "OPENAI", .google: "GOOGLE"]
        for p in Provider.allCases {
            let prefix = envNames[p]!
            if stored[p] != nil {
                report.ok("\(p.rawValue): system key stored by an admin (it wins over \(prefix)_API_KEY)")
            } else if let key = config.systemKeys[p] {
                report.ok("\(p.rawValue): system key from \(prefix)_API_KEY (\(key.masked))")
            } else {
                report.ok("\(p.rawValue): no system key; users need their own (users/me/apiKey/update), or set \(prefix)_API_KEY")
            }
            let url = config.baseURLs[p] ?? ""
            if url != ServerConfig.defaultBaseURLs[p] {
                let host = URLComponents(string: url)?.host ?? ""
                let loopback = ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host)
                if url.hasPrefix("https://") || (url.hasPrefix("http://") && loopback) {
                    report.ok("\(p.rawValue): endpoint \(url) (\(prefix)_BASE_URL)")
                } else {
                    report.problem("\(p.rawValue): endpoint \(url) (\(prefix)_BASE_URL) is not https: keys would travel in clear",
                                   fix: "use an https:// URL, or unset \(prefix)_BASE_URL")
                }
            }
        }
    }
}

/// The doctor's output: one line per check.
struct DoctorReport {
    private(set) var problems = 0

    mutating func ok(_ what: String) { print("ok       \(what)") }

    mutating func problem(_ what: String, fix: String) {
        problems += 1
        print("problem: \(what) — fix: \(fix)")
    }

    func finish() {
        print(problems == 0 ? "No problems found." : "\(problems) problem(s) found.")
    }
}
