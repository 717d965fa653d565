// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Palabre",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "palabre", targets: ["palabre"]),
        .executable(name: "palabre-server", targets: ["palabre-server"]),
        .library(name: "PalabreCore", targets: ["PalabreCore"]),
        .library(name: "PalabreStore", targets: ["PalabreStore"]),
        .library(name: "PalabreSync", targets: ["PalabreSync"]),
        .library(name: "PalabreServer", targets: ["PalabreServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Pure domain: forms, expressions, clock, records, merge rule, sync wire types. Foundation only.
        .target(name: "PalabreCore"),
        // The field store on SQLite (GRDB): records, field stamps, history, change log, import, applying remote changes.
        .target(
            name: "PalabreStore",
            dependencies: [
                "PalabreCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                // scrypt, the memory-hard derivation of a store's key from its passphrase (protection).
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                // XLSForm: an .xlsx workbook is a ZIP archive of XML parts.
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        // The sync client: push, pull, resume, clock correction, over AsyncHTTPClient with gzip bodies.
        .target(
            name: "PalabreSync",
            dependencies: [
                "PalabreStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The central service on Hummingbird: routes, auth, the SQLite and PostgreSQL backends.
        .target(
            name: "PalabreServer",
            dependencies: [
                "PalabreStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The field CLI: parses arguments and calls the libraries.
        .executableTarget(
            name: "palabre",
            dependencies: [
                "PalabreCore", "PalabreStore", "PalabreSync",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The service executable: parses options and calls PalabreServer.
        .executableTarget(
            name: "palabre-server",
            dependencies: [
                "PalabreServer", "PalabreStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Service-side benchmarks (BENCHMARKS.md); small, so it costs little in every build.
        .executableTarget(
            name: "palabre-bench",
            dependencies: [
                "PalabreServer", "PalabreSync",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "PalabreCoreTests", dependencies: ["PalabreCore"]),
        .testTarget(
            name: "PalabreStoreTests",
            dependencies: [
                "PalabreStore", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "PalabreServerTests",
            dependencies: [
                "PalabreSync", "PalabreServer", "PalabreTestSupport", "PalabreServerInspection",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ]
        ),
        .testTarget(name: "EndToEndTests", dependencies: ["PalabreCore", "PalabreTestSupport"]),
        // What tests read from either backend beyond the protocol (records with stamps, the log, table rows).
        .target(
            name: "PalabreServerInspection",
            dependencies: [
                "PalabreServer",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/PalabreServerInspection"
        ),
        // Starting the built binaries from tests (posix_spawn; see Spawned.swift for why not Foundation's Process).
        .target(name: "PalabreTestSupport", path: "Tests/PalabreTestSupport"),
    ]
)
