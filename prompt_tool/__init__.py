"""prompt-tool: versioned, validated Jinja2 prompt templates for an LLM orchestrator."""

__version__ = "0.1.0"
