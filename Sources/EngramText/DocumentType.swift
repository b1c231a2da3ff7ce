import Foundation

/// The kinds of file Engram reads, by name and extension; files that neither names are read when
/// their content is text (see `FileKind`).
public enum DocumentType: String, Sendable, CaseIterable {
    case text, markdown, html, code, data, pdf

    static let byExtension: [String: DocumentType] = {
        var map: [String: DocumentType] = [:]
        for e in ["txt", "text", "rst", "org", "adoc", "tex", "log"] { map[e] = .text }
        for e in ["md", "markdown", "mdown", "mkd"] { map[e] = .markdown }
        for e in ["html", "htm", "xhtml"] { map[e] = .html }
        for e in ["swift", "py", "js", "mjs", "ts", "tsx", "jsx", "go", "rs", "c", "h", "cc", "cpp", "cxx", "hpp", "hh",
                  "java", "kt", "kts", "scala", "rb", "sh", "bash", "zsh", "fish", "pl", "pm", "php", "lua", "r", "jl",
                  "m", "mm", "cs", "fs", "hs", "ml", "ex", "exs", "erl", "clj", "sql", "css", "scss", "vue", "svelte",
                  "dart", "zig", "nim", "ps1", "bat", "make", "mk", "cmake", "gradle", "el", "vim"] { map[e] = .code }
        for e in ["json", "jsonl", "csv", "tsv", "yaml", "yml", "toml", "ini", "cfg", "conf", "xml"] { map[e] = .data }
        map["pdf"] = .pdf
        return map
    }()

    /// Files named without an extension whose type is known; other such files are read as text when they are.
    static let byName: [String: DocumentType] = [
        "Makefile": .code, "makefile": .code, "GNUmakefile": .code, "Dockerfile": .code, "Containerfile": .code,
        "Rakefile": .code, "Gemfile": .code, "Jenkinsfile": .code, "Vagrantfile": .code,
    ]

    /// Extensions of formats that are never text: the walk skips them as binary without opening them.
    static let binaryExtensions: Set<String> = [
        "png", "jpg", "jpeg", "gif", "bmp", "ico", "icns", "webp", "tif", "tiff", "psd", "heic", "avif", "raw", "cr2", "nef",
        "mp3", "m4a", "aac", "wav", "flac", "ogg", "oga", "opus", "wma", "mp4", "m4v", "mov", "avi", "mkv", "webm", "wmv", "flv",
        "zip", "tar", "tgz", "bz2", "tbz2", "xz", "txz", "zst", "lz", "lzma", "7z", "rar", "cab", "jar", "war", "ear",
        "deb", "rpm", "apk", "ipa", "dmg", "iso", "img", "vmdk", "qcow2",
        "o", "a", "so", "dylib", "dll", "exe", "lib", "obj", "class", "pyc", "pyo", "wasm", "bin",
        "sqlite", "sqlite3", "db", "mdb", "parquet", "npy", "npz", "pt", "safetensors", "onnx", "pkl",
        "woff", "woff2", "ttf", "otf", "eot", "doc", "xls", "ppt", "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub",
    ]

    /// The type of the file at `path` by its name (inside a `.gz`, the name without `.gz`), or nil when the name does not say.
    public init?(path: String) {
        let name = FileKind.contentName(path)
        let ext = (name as NSString).pathExtension.lowercased()
        if let t = Self.byExtension[ext] { self = t } else if let t = Self.byName[name] { self = t } else { return nil }
    }
}

/// What a file's name says about it before it is opened.
public enum FileKind: Equatable, Sendable {
    /// A type Engram reads.
    case known(DocumentType)
    /// A binary format: skipped unopened.
    case binary
    /// Nothing (README, NEWS, `*.Debian`, an unknown extension): read when its content is text.
    case unknown

    public init(path: String) {
        if let type = DocumentType(path: path) {
            self = .known(type)
        } else {
            let ext = (Self.contentName(path) as NSString).pathExtension.lowercased()
            self = DocumentType.binaryExtensions.contains(ext) ? .binary : .unknown
        }
    }

    /// Whether the file is gzip-compressed by its name (`NEWS.gz`, `changelog.Debian.gz`).
    public static func isCompressed(_ path: String) -> Bool { path.lowercased().hasSuffix(".gz") }

    /// The file's name, without `.gz` for a compressed file: the name its content goes by.
    public static func contentName(_ path: String) -> String {
        let name = (path as NSString).lastPathComponent
        return isCompressed(name) && name.count > 3 ? String(name.dropLast(3)) : name
    }
}
