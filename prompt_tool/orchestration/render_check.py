"""The pre-render check the orchestrator asks before it renders a phase.

Orchestration sits below the checking service and must not import it, yet a session should
be refused before its render, not fail inside it, when a template reads a project variable
that does not exist or uses one as the wrong type. So the orchestrator takes a small
callable with this shape, which the command layer builds from `prompt_tool.checking`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from prompt_tool.core.errors import ValidationError
from prompt_tool.db.models import Prompt
from prompt_tool.orchestration.template_resolver import Resolution


class RenderCheck(Protocol):
    """Checks the phase templates (and what they include) a session is about to render."""

    def __call__(
        self,
        resolution: Resolution,
        phases: Mapping[str, Prompt],
        variables: Mapping[str, Any],
    ) -> Sequence[str]:
        """One `name@version:line:col: CODE message` line per error; empty when it renders.

        `phases` maps each phase to check to its template version, `resolution` serves
        every version those templates include, and `variables` are the ones the session
        renders `vars` with.
        """


class RenderRefused(ValidationError):
    """A render the pre-render check refused; `problems` holds one line per diagnostic."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)
