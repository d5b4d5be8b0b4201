import ArgumentParser
import LLMServer
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// `llmrpc`: the gateway and its admin commands.
@main
struct LLMRPCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llmrpc",
        abstract: "A local LLM gateway speaking line-delimited JSON-RPC 2.0 over stdio or a Unix socket.",
        version: LLMRPCVersion.current,
        subcommands: [Serve.self, ChatCommand.self, ModelsCommand.self, DoctorCommand.self, Users.self, Keys.self,
                      UsageCommand.self],
        defaultSubcommand: Serve.self)

    /// `--socket` may come without a path; ArgumentParser needs a value, so a bare `--socket`
    /// becomes `--socket=-` (the default path) before parsing.
    static func main() async {
        var args = Array(CommandLine.arguments.dropFirst())
        if let i = args.firstIndex(of: "--socket"), i + 1 == args.count || args[i + 1].hasPrefix("-") {
            args[i] = "--socket=-"
        }
        do {
            var command = try parseAsRoot(args)
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// Options every command shares: where the configuration and data are.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "Read configuration from this .env file (default: ./.env if present).")
    var envFile: String?

    @Option(name: .long, help: "Data directory (LLMRPC_DATA_DIR).")
    var dataDir: String?

    @Option(name: .long, help: "SQLite database file (LLMRPC_DATABASE).")
    var database: String?

    @Option(name: .long, help: "Log level on stderr: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    func config() throws -> ServerConfig {
        var overrides: [String: String] = [:]
        if let d = dataDir { overrides["LLMRPC_DATA_DIR"] = d }
        if let d = database { overrides["LLMRPC_DATABASE"] = d }
        if let l = logLevel { overrides["LLMRPC_LOG_LEVEL"] = l }
        do {
            return try ServerConfig.load(envFile: envFile, overrides: overrides)
        } catch let e as ConfigError {
            throw ValidationError(e.description)
        }
    }

    func logger(_ config: ServerConfig) -> Logger {
        var logger = Logger(label: "llmrpc") { label in StderrLogHandler(label: label) }
        logger.logLevel = config.logLevel
        return logger
    }
}

/// Start-up failures are reported on stderr as one clear line, never with a secret.
func startServices(_ options: CommonOptions) async throws -> (ServerConfig, Services) {
    let config = try options.config()
    let logger = options.logger(config)
    do {
        return (config, try await App.makeServices(config: config, logger: logger))
    } catch {
        throw ValidationError("cannot start: \(error)")
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve JSON-RPC on stdin/stdout (the default) or on a Unix socket.")

    @OptionGroup var options: CommonOptions

    @Flag(name: .long, help: "Serve on stdin/stdout (the default).")
    var stdio = false

    @Flag(name: .long, help: "On stdio, run requests one after another in input order, with no in-flight limit, and let end of input finish them (the default when stdin is a regular file, e.g. `llmrpc serve < transcript.jsonl`).")
    var sequential = false

    @Option(name: .long, help: "Serve on a Unix socket at this path; without a path: $XDG_RUNTIME_DIR/llmrpc/llmrpc.sock or llmrpc.sock in the data dir.")
    var socket: String?

    func validate() throws {
        if stdio && socket != nil { throw ValidationError("choose --stdio or --socket, not both") }
    }

    func run() async throws {
        let (config, services) = try await startServices(options)
        if let s = socket {
            let path = s == "-" ? SocketServer.defaultPath(config: config) : s
            do {
                try await App.serveSocket(services: services, path: path)
            } catch let e as ConfigError {
                throw ValidationError(e.description)
            }
        } else {
            let code = await App.serveStdio(services: services, sequential: sequential)
            Glibc.exit(code)
        }
    }
}
