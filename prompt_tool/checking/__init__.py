"""The one front door for checking templates: `templates lint`, `publish`, import and the LSP.

Reads the project's configuration once, discovers templates with one rule, builds the
analyser's inputs (contracts, the renderer's environment, a template source over files and
published slots) and hands back diagnostics. See docs/checking.md.
"""
