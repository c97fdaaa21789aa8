"""Templating engine, configuration and the domain errors shared by every layer."""
