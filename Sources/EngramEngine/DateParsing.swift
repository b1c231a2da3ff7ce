import Foundation

/// Dates as people type them (`--since`, `--at`, a server's `since=`): ISO 8601, else a day or a minute in UTC.
public enum DateParsing {
    public static func parse(_ s: String) -> Date? {
        if let d = try? Date(s, strategy: .iso8601) { return d }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.isLenient = false
        for format in ["yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm"] {
            f.dateFormat = format
            // A format must account for the whole string: "2026-01-05junk" is not a date.
            if let d = f.date(from: s), f.string(from: d) == s { return d }
        }
        return nil
    }
}
