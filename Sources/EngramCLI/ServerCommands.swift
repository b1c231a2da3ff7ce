/// What `engram --help` says of the two commands engram-server runs (it says the same in its own help).
public enum ServerCommands {
    public static let serveAbstract = "Serve an index over HTTP as a JSON API, with the model and index kept loaded."
    public static let mcpAbstract = "Serve an index to AI agents over the Model Context Protocol (stdio)."
}
