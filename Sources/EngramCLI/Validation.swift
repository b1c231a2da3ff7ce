import ArgumentParser
import Foundation

/// Checks shared by several commands' `validate()`: each failure is one line naming the flag.
public enum Validate {
    public static func path(_ value: String?, flag: String) throws {
        if let value, value.trimmingCharacters(in: .whitespaces).isEmpty { throw Usage.error("\(flag): the path is empty") }
    }

    public static func finite(_ value: Double?, _ flag: String, in range: ClosedRange<Double>) throws {
        guard let value else { return }
        guard value.isFinite, range.contains(value) else {
            throw Usage.error("\(flag) must be a number from \(range.lowerBound) to \(range.upperBound) (got \(value))")
        }
    }
}

/// A bad flag value: one line on standard error naming the flag, and the usage exit code (64), without
/// the usage text that ArgumentParser's `ValidationError` adds.
public enum Usage {
    public static func error(_ message: String) -> ExitCode {
        Terminal.warn(message)
        return ExitCode.validationFailure
    }
}
