"""Persistence: SQLAlchemy models and the database manager; knows nothing above it."""
