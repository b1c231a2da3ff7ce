// swift-tools-version:6.2
import PackageDescription

let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
    name: "Engram",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "engram", targets: ["engram"]),
        .library(name: "EngramEmbedding", targets: ["EngramEmbedding"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // OpenBLAS's cblas.h (Debian: libopenblas-dev).
        .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),
        // The system libsqlite3 with FTS5 (Debian: libsqlite3-dev).
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        // Tokenizer, safetensors reader, BERT forward pass, pooling, model install.
        .target(name: "EngramEmbedding", dependencies: ["CBLAS"], swiftSettings: strict),

        // The command-line front end.
        .executableTarget(
            name: "engram",
            dependencies: [
                "EngramEmbedding",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        .testTarget(name: "EngramEmbeddingTests", dependencies: ["EngramEmbedding"]),
    ]
)
