// swift-tools-version:6.2
// The PostgreSQL store (pgvector), kept out of the main build: postgres-nio and its SwiftNIO stack take
// minutes to compile, and the SQLite store needs none of it. `make pg-test` (or `cd Postgres && swift build`)
// builds it into Postgres/.build; see docs/postgres.md.
import PackageDescription

let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
    name: "EngramPostgres",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "engram-pg", targets: ["engram-pg"]),
        .library(name: "EngramPostgres", targets: ["EngramPostgres"]),
    ],
    dependencies: [
        .package(name: "Engram", path: ".."),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Documents, chunks, vector(384) with an HNSW index, BM25 postings; migrations; advisory locks;
        // the folder indexer and the search sides over them; each user's memory and reports on them. The
        // SQLite store behind the same protocol. `PostgresService`: the store behind `serve` and `mcp`
        // (EngramService's `IndexService`).
        .target(
            name: "EngramPostgres",
            dependencies: [
                .product(name: "EngramEngine", package: "Engram"),
                .product(name: "EngramEmbedding", package: "Engram"),
                .product(name: "EngramText", package: "Engram"),
                .product(name: "EngramService", package: "Engram"),
                .product(name: "EngramMemory", package: "Engram"),
                .product(name: "EngramReports", package: "Engram"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strict
        ),
        // `engram-pg index|search|status|remove|import|eval beir|open|memory|report|serve|mcp --store
        // postgresql://…`. `serve` and `mcp` are the main package's (EngramServer: Hummingbird and the MCP
        // SDK) over this store.
        .executableTarget(
            name: "engram-pg",
            dependencies: [
                "EngramPostgres",
                .product(name: "EngramEval", package: "Engram"),
                .product(name: "EngramServer", package: "Engram"),
                .product(name: "EngramMemory", package: "Engram"),
                .product(name: "EngramReports", package: "Engram"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // One contract suite, run against both stores.
        .testTarget(name: "EngramPostgresTests", dependencies: ["EngramPostgres", .product(name: "EngramService", package: "Engram")]),
    ]
)
