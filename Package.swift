// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Palabre",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "palabre", targets: ["palabre"]),
        .library(name: "PalabreCore", targets: ["PalabreCore"]),
        .library(name: "PalabreStore", targets: ["PalabreStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // Pure domain: forms, expressions, clock, records, merge rule. Foundation only.
        .target(name: "PalabreCore"),
        // The field store on SQLite (GRDB): records, field stamps, history, change log, import.
        .target(
            name: "PalabreStore",
            dependencies: [
                "PalabreCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The field CLI: parses arguments and calls the libraries.
        .executableTarget(
            name: "palabre",
            dependencies: [
                "PalabreCore", "PalabreStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "PalabreCoreTests", dependencies: ["PalabreCore"]),
        .testTarget(name: "PalabreStoreTests", dependencies: ["PalabreStore"]),
        .testTarget(name: "EndToEndTests", dependencies: ["PalabreCore"]),
    ]
)
