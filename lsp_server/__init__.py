"""Language server for prompt-tool templates (pygls 2)."""
