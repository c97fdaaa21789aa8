"""Typer command groups: thin adapters over the managers below."""
