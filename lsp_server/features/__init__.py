"""One module per LSP capability, each exposing `register(server)`."""
