"""The orchestrator, its variable contract, template resolution and sessions."""
