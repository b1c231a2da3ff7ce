// swift-tools-version:6.2
import PackageDescription

let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
    name: "Engram",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "engram", targets: ["engram"]),
        .executable(name: "engram-server", targets: ["engram-server"]),
        .library(name: "EngramEmbedding", targets: ["EngramEmbedding"]),
        .library(name: "EngramEngine", targets: ["EngramEngine"]),
        // Ingestion on its own, for the fuzz targets in Fuzz/.
        .library(name: "EngramText", targets: ["EngramText"]),
        // BEIR evaluation, for `engram-pg eval beir` in Postgres/.
        .library(name: "EngramEval", targets: ["EngramEval"]),
        // `serve` and `mcp` over any store, for `engram-pg serve|mcp` in Postgres/.
        .library(name: "EngramService", targets: ["EngramService"]),
        .library(name: "EngramServer", targets: ["EngramServer"]),
        // Memory and reports, for `engram-pg search|open|memory|report` in Postgres/.
        .library(name: "EngramMemory", targets: ["EngramMemory"]),
        .library(name: "EngramReports", targets: ["EngramReports"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // `engram mcp`: the Model Context Protocol server over stdio.
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", exact: "0.12.1"),
        // `engram serve`: the HTTP JSON API. Its swift-configuration support is left out: nothing here uses it.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        // Hummingbird's own networking; named for its ByteBuffer and Channel.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // OpenBLAS's cblas.h (Debian: libopenblas-dev).
        .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),
        // oneDNN's dnnl.h (Debian: libdnnl-dev): bf16 matrix products for the encoder's dense layers. The
        // library is opened on first use, not linked, so that a search (fp32) does not load it.
        .target(name: "CDNNL", linkerSettings: [.linkedLibrary("dl")]),
        // AVX-512 loops in C (Swift compiles for baseline x86-64): bf16 conversion of activations, softmax.
        .target(name: "CKernels"),
        // The vector graph (built with Debian's header-only hnswlib, searched in place over a memory map)
        // and top-k BM25 over block-skipping postings.
        .target(name: "CSearchIndex", cxxSettings: [.unsafeFlags(["-O3", "-mavx2", "-mfma"])]),
        // The system libsqlite3 with FTS5 (Debian: libsqlite3-dev).
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // zlib, for gzip-compressed text such as NEWS.gz (Debian: zlib1g-dev).
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),

        // Tokenizer, safetensors reader, BERT forward pass, pooling, model install.
        .target(name: "EngramEmbedding", dependencies: ["CBLAS", "CDNNL", "CKernels"], swiftSettings: strict),

        // SQLite index: schema and migrations, documents, chunks, vectors, postings, FTS5.
        .target(name: "EngramStore", dependencies: ["CSQLite"], swiftSettings: strict),

        // The search segment: a memory-mapped file of rows, vector graph and postings beside the index, built from it.
        .target(name: "EngramSearchIndex", dependencies: ["CSearchIndex", "EngramStore"], swiftSettings: strict),

        // Ingestion: folder walk with ignore rules, text detection and decoding, extraction, chunking, lexical analysis.
        .target(name: "EngramText", dependencies: ["CZlib"], swiftSettings: strict),

        // The engine: incremental indexer, vector scan, BM25, fusion, search.
        .target(name: "EngramEngine", dependencies: ["EngramEmbedding", "EngramStore", "EngramSearchIndex", "CSearchIndex", "EngramText"], swiftSettings: strict),

        // Short-term memory: decaying buffer of recent searches, topic guard, re-ranking, explanations.
        .target(name: "EngramMemory", dependencies: ["EngramEngine"], swiftSettings: strict),

        // The long-lived engine behind `serve` and `mcp`: model, reader, memory per profile, one writer call at a time.
        .target(name: "EngramService", dependencies: ["EngramEmbedding", "EngramStore", "EngramText", "EngramEngine", "EngramMemory"], swiftSettings: strict),

        // `serve` (Hummingbird) and `mcp` (the MCP SDK) written once over `IndexService`, so that every store
        // answers with the same endpoints, tools and JSON. The only library that links the network stacks.
        .target(
            name: "EngramServer",
            dependencies: [
                "EngramEngine", "EngramService",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),

        // Personalized ranking reports: HTML with inline SVG charts, Markdown, JSON, CSV.
        .target(name: "EngramReports", dependencies: ["EngramMemory"], swiftSettings: strict),

        // Retrieval evaluation on BEIR-format collections and simulated sessions.
        .target(name: "EngramEval", dependencies: ["EngramEngine", "EngramMemory"], swiftSettings: strict),

        // What the two command-line programs share: terminal output, flag checks, the version.
        .target(
            name: "EngramCLI",
            dependencies: ["EngramEngine", "EngramMemory", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),

        // The command-line front end. It does not link the network stacks: `serve` and `mcp` are handed over to
        // engram-server, so a one-shot `engram search` does not load them at start.
        .executableTarget(
            name: "engram",
            dependencies: [
                "EngramCLI", "EngramEmbedding", "EngramEngine", "EngramMemory", "EngramReports", "EngramEval", "EngramService",
                "EngramSearchIndex",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // `engram serve` and `engram mcp`.
        .executableTarget(
            name: "engram-server",
            dependencies: [
                "EngramCLI", "EngramEmbedding", "EngramEngine", "EngramService", "EngramServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        .testTarget(name: "EngramEmbeddingTests", dependencies: ["EngramEmbedding"]),
        .testTarget(name: "EngramEngineTests", dependencies: ["EngramEngine", "EngramEval", "EngramMemory", "EngramReports", "EngramSearchIndex"]),
    ]
)
