"""Domain errors: every failure a user can cause is one of these, shown as one line."""

from __future__ import annotations


class PromptToolError(Exception):
    """Base of every expected failure; the CLI prints `str(error)` and exits with `exit_code`."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(PromptToolError):
    """A bad argument or option: exit code 2, as for command-line parsing errors."""

    exit_code = 2


class ConfigError(PromptToolError):
    """Configuration that cannot be read or makes no sense."""


class DatabaseError(PromptToolError):
    """The database cannot be reached or answered with an error we can explain."""


class SchemaOutdatedError(DatabaseError):
    """The database schema is behind the code; the user must run `prompt-tool db upgrade`."""


class NotFoundError(PromptToolError):
    """A named object (project, template, version, label, session) does not exist."""


class ConflictError(PromptToolError):
    """The object exists already, or a concurrent change won."""


class ValidationError(PromptToolError):
    """Input that is well-formed but invalid (a template with errors, a bad variable)."""
