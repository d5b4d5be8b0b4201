// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "llmrpc",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "llmrpc", targets: ["LLMRPC"]),
        .executable(name: "fake-provider", targets: ["FakeProviderServer"]),
        .executable(name: "llmrpc-bench", targets: ["LLMBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // C libraries, through pkg-config.
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        // glibc's malloc controls (malloc.h).
        .systemLibrary(name: "CMalloc"),
        // Linux calls the Glibc module does not export (a write that never waits, epoll).
        .systemLibrary(name: "CLinux"),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // A JSON value with exact numbers, a strict parser and a compact writer.
        .target(name: "LLMJSON"),

        // The service's vocabulary: providers, unified chat types, usage buckets, errors, secrets.
        .target(name: "LLMDomain", dependencies: ["LLMJSON"]),

        // Provider adapters: pure translation between the unified format and each provider's
        // HTTP API (requests, JSON responses, SSE streams, errors). No network.
        .target(name: "LLMProviders", dependencies: ["LLMDomain", "LLMJSON"]),

        // Prices and the model catalogue: exact cost, the shipped default catalogue, imports.
        .target(name: "LLMCatalog", dependencies: ["LLMDomain", "LLMJSON"]),

        // libsodium: password hashing, encryption of stored keys, random secrets.
        .target(name: "LLMCrypto", dependencies: ["CSodium", "LLMDomain"]),

        // The one place that talks to SQLite.
        .target(name: "LLMStore", dependencies: ["CSQLite", "LLMDomain", "LLMJSON", "Threading"]),

        // Threads, locks and conditions on pthreads (Foundation's are not in FoundationEssentials).
        .target(name: "Threading"),

        // Upstream HTTP on libcurl's multi interface.
        .target(name: "LLMHTTP", dependencies: ["CCurl", "CLinux", "Threading"]),

        // JSON-RPC 2.0: envelope, errors, line framing, per-connection dispatch.
        .target(name: "JSONRPC", dependencies: ["LLMJSON"]),

        // The methods, sessions, transports (stdio, Unix socket) and wiring.
        .target(name: "LLMServer", dependencies: [
            "JSONRPC", "LLMJSON", "LLMDomain", "LLMProviders", "LLMCatalog", "LLMCrypto", "LLMStore", "LLMHTTP", "CMalloc",
            "CLinux", "Threading",
            .product(name: "Logging", package: "swift-log"),
        ]),

        // The `llmrpc` command.
        .executableTarget(name: "LLMRPC", dependencies: [
            "LLMServer", "LLMDomain", "LLMStore", "LLMJSON", "LLMCatalog", "LLMCrypto", "Threading",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // A fake Anthropic/OpenAI/Gemini server on loopback for tests and benchmarks.
        .target(name: "FakeProvider", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .executableTarget(name: "FakeProviderServer", dependencies: ["FakeProvider"]),

        // `llmrpc-bench`: the gateway's overhead against direct calls, measured in one run.
        .executableTarget(name: "LLMBench", dependencies: ["LLMJSON", "FakeProvider", "LLMHTTP"]),

        // What the end-to-end tests share: a real `llmrpc` subprocess, a line client, the fake provider harness.
        .target(name: "LLMTestSupport", dependencies: ["LLMJSON", "FakeProvider"], path: "Tests/LLMTestSupport"),

                .testTarget(name: "LLMProvidersTests", dependencies: ["LLMProviders", "LLMDomain", "LLMJSON"]),
        .testTarget(name: "LLMCatalogTests", dependencies: ["LLMCatalog", "LLMDomain", "LLMJSON"]),
        .testTarget(name: "LLMCryptoTests", dependencies: ["LLMCrypto", "LLMDomain"]),
        .testTarget(name: "LLMStoreTests", dependencies: ["LLMStore", "LLMDomain"]),
        .testTarget(name: "LLMHTTPTests", dependencies: ["LLMHTTP"]),
        .testTarget(name: "FakeProviderTests", dependencies: ["FakeProvider", "LLMHTTP"]),
        .testTarget(name: "LLMServerTests", dependencies: [
            "JSONRPC", "LLMJSON", "LLMServer", "LLMStore", "LLMDomain", "FakeProvider", "LLMTestSupport",
        ]),
        .testTarget(name: "CLITests", dependencies: ["LLMJSON", "FakeProvider", "LLMTestSupport"]),
        .testTarget(name: "ExamplesTests", dependencies: ["LLMJSON", "FakeProvider", "LLMTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
