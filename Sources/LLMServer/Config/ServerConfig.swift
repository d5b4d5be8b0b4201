import FoundationEssentials
import LLMDomain
import Logging

/// Configuration, read from the environment, then a `.env` file, then flags (PROTOCOL.md §5).
/// A value from the environment wins over the `.env` file; a flag wins over both.
public struct ServerConfig: Sendable {
    public var dataDir: String
    public var databasePath: String
    public var databaseMaxBytes: Int?
    public var secretKey: String?
    public var encryptionKey: String?
    public var systemKeys: [Provider: SecretKey]
    public var baseURLs: [Provider: String]
    public var firstSuperuser: String?
    public var firstSuperuserPassword: String?
    public var accessTokenExpireMinutes: Int
    public var rateLimitRPM: Int
    public var maxConcurrentStreamsPerUser: Int
    public var maxInFlight: Int
    public var maxLineBytes: Int
    public var maxUnsentOutputBytes: Int
    public var upstreamTimeoutSeconds: Int
    public var upstreamMaxSeconds: Int
    public var accessToken: String?
    public var usageLogging: Bool
    public var logLevel: Logger.Level

    public static let defaultBaseURLs: [Provider: String] = [
        .anthropic: "https://api.anthropic.com",
        .openai: "https://api.openai.com/v1",
        .google: "https://generativelanguage.googleapis.com",
    ]

    /// `overrides` are flag values by variable name; `envFile` nil means `./.env` if it exists.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment,
                            envFile: String? = nil, overrides: [String: String] = [:]) throws -> ServerConfig {
        var merged: [String: String] = [:]
        let filePath = envFile ?? (FileManager.default.currentDirectoryPath + "/.env")
        if FileManager.default.fileExists(atPath: filePath) {
            merged = try DotEnv.parse(contentsOf: filePath)
        } else if envFile != nil {
            throw ConfigError("the env file \(filePath) does not exist")
        }
        for (k, v) in environment { merged[k] = v }
        for (k, v) in overrides { merged[k] = v }
        return try ServerConfig(values: merged, environment: environment)
    }

    init(values v: [String: String], environment: [String: String]) throws {
        func nonEmpty(_ k: String) -> String? {
            guard let s = v[k]?.trimmingWhitespace(), !s.isEmpty else { return nil }
            return s
        }
        func int(_ k: String, _ d: Int, min: Int = 0) throws -> Int {
            guard let s = nonEmpty(k) else { return d }
            guard let i = Int(s), i >= min else { throw ConfigError("\(k) must be an integer ≥ \(min), got '\(s)'") }
            return i
        }
        let home = environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        let xdgData = nonEmpty("XDG_DATA_HOME") ?? "\(home)/.local/share"
        dataDir = nonEmpty("LLMRPC_DATA_DIR") ?? "\(xdgData)/llmrpc"
        databasePath = nonEmpty("LLMRPC_DATABASE") ?? "\(dataDir)/llmrpc.sqlite3"
        let maxMB = try int("LLMRPC_DATABASE_MAX_MB", 0)
        databaseMaxBytes = maxMB > 0 ? maxMB * 1024 * 1024 : nil
        secretKey = nonEmpty("LLMRPC_SECRET_KEY")
        if let k = secretKey, k.utf8.count < 32 {
            // HS256 with a key shorter than its 32-byte output is weak.
            throw ConfigError("LLMRPC_SECRET_KEY must be at least 32 bytes long (generate one with: head -c32 /dev/urandom | base64)")
        }
        encryptionKey = nonEmpty("LLMRPC_ENCRYPTION_KEY")
        var keys: [Provider: SecretKey] = [:]
        var urls = ServerConfig.defaultBaseURLs
        for (p, keyVar, urlVar) in [(Provider.anthropic, "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"),
                                    (.openai, "OPENAI_API_KEY", "OPENAI_BASE_URL"),
                                    (.google, "GOOGLE_API_KEY", "GOOGLE_BASE_URL")] {
            if let k = nonEmpty(keyVar) { keys[p] = SecretKey(k) }
            if let u = nonEmpty(urlVar) {
                var url = u
                while url.hasSuffix("/") { url.removeLast() }
                urls[p] = url
            }
        }
        systemKeys = keys
        baseURLs = urls
        firstSuperuser = nonEmpty("FIRST_SUPERUSER")
        firstSuperuserPassword = v["FIRST_SUPERUSER_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        accessTokenExpireMinutes = try int("ACCESS_TOKEN_EXPIRE_MINUTES", 8 * 24 * 60, min: 1)
        rateLimitRPM = try int("LLMRPC_RATE_LIMIT_RPM", 60)
        maxConcurrentStreamsPerUser = try int("LLMRPC_MAX_STREAMS_PER_USER", 16, min: 1)
        maxInFlight = try int("LLMRPC_MAX_INFLIGHT", 64, min: 1)
        maxLineBytes = try int("LLMRPC_MAX_LINE_BYTES", 16 * 1024 * 1024, min: 1024)
        maxUnsentOutputBytes = try int("LLMRPC_MAX_UNSENT_BYTES", 8 * 1024 * 1024, min: 1024)
        upstreamTimeoutSeconds = try int("LLMRPC_UPSTREAM_TIMEOUT_S", 120, min: 1)
        // A provider that trickles a byte now and then never trips the idle timeout: every
        // upstream request also has a total deadline.
        upstreamMaxSeconds = try int("LLMRPC_UPSTREAM_MAX_S", 1800, min: 1)
        accessToken = nonEmpty("LLMRPC_ACCESS_TOKEN")
        usageLogging = (nonEmpty("LLMRPC_USAGE_LOGGING") ?? "on") != "off"
        if let l = nonEmpty("LLMRPC_LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: l.lowercased()) else {
                throw ConfigError("LLMRPC_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical")
            }
            logLevel = level
        } else {
            logLevel = .info
        }
    }
}

public struct ConfigError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// A `.env` file: `KEY=VALUE` lines, optional `export `, `#` comments, single or double quotes.
enum DotEnv {
    static func parse(contentsOf path: String) throws -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError("cannot read \(path)")
        }
        return parse(text)
    }

    static func parse(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for raw in text.split(whereSeparator: \.isNewline) {
            var line = raw.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst(7).trimmingWhitespace() }
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingWhitespace()
            var value = line[line.index(after: eq)...].trimmingWhitespace()
            if value.count >= 2, let f = value.first, let l = value.last, f == l, f == "\"" || f == "'" {
                value = String(value.dropFirst().dropLast())
                if f == "\"" { value = value.replacing("\\n", with: "\n") }
            } else if let hash = value.firstRange(of: " #") {
                value = value[..<hash.lowerBound].trimmingWhitespace()
            }
            out[key] = value
        }
        return out
    }
}
