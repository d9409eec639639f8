"""Platform adapters: the only modules that import chat platform libraries or the HTTP server."""
