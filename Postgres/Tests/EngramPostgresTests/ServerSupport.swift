import Foundation

/// A long-lived engram-pg process (`serve`) started for a test, and a curl client for it. Every wait is
/// bounded; the process is terminated when the test is done with it.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    private let output = Pipe()
    private let errors = Pipe()
    private let lock = NSLock()
    private var stdoutText = ""
    private var stderrText = ""

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: EngramPGCommand.binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        output.fileHandleForReading.readabilityHandler = { [weak self] h in self?.append(h.availableData, error: false) }
        errors.fileHandleForReading.readabilityHandler = { [weak self] h in self?.append(h.availableData, error: true) }
        try process.run()
    }

    deinit { stop() }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    private func append(_ data: Data, error: Bool) {
        lock.lock(); defer { lock.unlock() }
        if error { stderrText += String(decoding: data, as: UTF8.self) } else { stdoutText += String(decoding: data, as: UTF8.self) }
    }

    var stdout: String { lock.lock(); defer { lock.unlock() }; return stdoutText }
    var stderr: String { lock.lock(); defer { lock.unlock() }; return stderrText }

    /// The base URL from the "listening on http://HOST:PORT" line, waiting up to `timeout` seconds (the model loads first).
    func base(timeout: Double = 180) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = stdout.split(separator: "\n").first(where: { $0.contains("listening on http://") }),
               let port = line.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
                return "http://127.0.0.1:\(port)"
            }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw ServerTestError("the server did not start listening: stdout \(stdout) stderr \(stderr)")
    }
}

struct ServerTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One HTTP exchange through curl (loopback only): status code and body.
struct HTTPReply: Sendable {
    let status: Int
    let body: String
    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] }
}

enum HTTP {
    static func request(_ url: String, method: String = "GET", body: String? = nil, timeout: Int = 300) throws -> HTTPReply {
        precondition(url.hasPrefix("http://127.0.0.1:"), "tests talk to loopback only")
        var args = ["-s", "-S", "--max-time", String(timeout), "-X", method, "-w", "\n%{http_code}", url]
        if let body { args += ["-H", "Content-Type: application/json", "--data-binary", body] }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard let cut = text.lastIndex(of: "\n"), let status = Int(text[text.index(after: cut)...]) else {
            throw ServerTestError("curl \(url) failed (exit \(p.terminationStatus)): \(text)")
        }
        return HTTPReply(status: status, body: String(text[..<cut]))
    }

    /// A query string's value, percent-encoded.
    static func escape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~/"))) ?? s
    }
}

/// A value one thread sets and another reads.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
}

/// Polls `condition` every `interval` seconds until it holds or `timeout` seconds pass; whether it held.
/// For what happens elsewhere at its own pace (a replica replaying its primary's WAL): the bound keeps a
/// broken setup from hanging the suite, and no result depends on how long it took.
func eventually(timeout: Double, interval: Double = 0.25, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    repeat {
        if try await condition() { return true }
        try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
    } while Date() < deadline
    return try await condition()
}
