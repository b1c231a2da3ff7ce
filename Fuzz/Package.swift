// swift-tools-version:6.2
// libFuzzer targets for Engram's input-facing code, kept out of the main build and test run:
// `make fuzz` builds them with --sanitize fuzzer --sanitize address into ../.build-fuzz and runs each.
import PackageDescription

let package = Package(
    name: "EngramFuzz",
    dependencies: [.package(name: "Engram", path: "..")],
    targets: [
        .executableTarget(name: "FuzzTokenizer", dependencies: [.product(name: "EngramEmbedding", package: "Engram")]),
        .executableTarget(name: "FuzzExtractor", dependencies: [.product(name: "EngramText", package: "Engram")]),
        .executableTarget(name: "FuzzChunker", dependencies: [.product(name: "EngramText", package: "Engram")]),
        .executableTarget(name: "FuzzLexical", dependencies: [.product(name: "EngramText", package: "Engram")]),
    ]
)
