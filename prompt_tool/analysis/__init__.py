"""Pure template analysis: parse, check, include graph, diagnostics, output formats."""
