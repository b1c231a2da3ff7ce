// What engram shares with engram-server (terminal output, flag checks) is in EngramCLI; every command uses it.
@_exported import EngramCLI
