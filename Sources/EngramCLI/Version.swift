/// The version every engram program prints for `--version`.
public enum EngramVersion {
    public static let current = "0.4.0"
}
