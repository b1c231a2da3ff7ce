import Foundation

/// A long-lived engram process (`serve`) started for a test, and a curl client for it. Every wait is
/// bounded; the process is killed when the test is done with it.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    private let output = Pipe()
    private let errors = Pipe()
    private let lock = NSLock()
    private var stdoutText = ""
    private var stderrText = ""

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: EngineSupport.engram)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        output.fileHandleForReading.readabilityHandler = { [weak self] h in self?.append(h.availableData, error: false) }
        errors.fileHandleForReading.readabilityHandler = { [weak self] h in self?.append(h.availableData, error: true) }
        try process.run()
    }

    deinit { if process.isRunning { process.terminate() } }

    private func append(_ data: Data, error: Bool) {
        lock.lock(); defer { lock.unlock() }
        if error { stderrText += String(decoding: data, as: UTF8.self) } else { stdoutText += String(decoding: data, as: UTF8.self) }
    }

    var stdout: String { lock.lock(); defer { lock.unlock() }; return stdoutText }
    var stderr: String { lock.lock(); defer { lock.unlock() }; return stderrText }

    /// The port from the "listening on http://HOST:PORT" line, waiting up to `timeout` seconds (the model loads first).
    func port(timeout: Double = 180) throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = stdout.split(separator: "\n").first(where: { $0.contains("listening on http://") }),
               let port = line.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
                return port
            }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw ServerTestError("the server did not start listening: stdout \(stdout) stderr \(stderr)")
    }

    /// Waits up to `timeout` seconds for the process to exit; returns its status, or nil if it still runs.
    func exitStatus(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        return process.isRunning ? nil : process.terminationStatus
    }
}

struct ServerTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One HTTP exchange through curl (loopback only): status code and body.
struct HTTPReply {
    let status: Int
    let body: String
    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] }
}

enum HTTP {
    static func request(_ url: String, method: String = "GET", body: String? = nil, headers: [String] = [], timeout: Int = 300) throws -> HTTPReply {
        precondition(url.hasPrefix("http://127.0.0.1:"), "tests talk to loopback only")
        var args = ["-s", "-S", "--max-time", String(timeout), "-X", method, "-w", "\n%{http_code}", url]
        for h in headers { args += ["-H", h] }
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
}
