"""Renaming: a variable or macro with exactly the uses bound to it; a template's name in
every include, extends and import string that names it.

A rename that cannot be done safely is refused with the reason, never guessed: a name the
renderer supplies (contract variables, globals, `loop`) is renamed in the contract, not in
one template; a half-typed template has no scopes to go by; a new name the renamed uses
would already see, or that is not a Jinja name, would change what the template means.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from prompt_tool.analysis.diagnostics import Position, Span
from prompt_tool.analysis.document import DocumentModel
from prompt_tool.analysis.name_resolution import is_current, resolve_at
from prompt_tool.analysis.parsing import split_pin
from prompt_tool.analysis.template_links import template_references

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
KEYWORDS = frozenset(
    {
        "and", "as", "block", "call", "context", "continue", "break", "do", "elif", "else",
        "endblock", "endcall", "endfilter", "endfor", "endif", "endmacro", "endset", "endwith",
        "extends", "false", "False", "filter", "for", "from", "if", "ignore", "import", "in",
        "include", "is", "loop", "macro", "missing", "none", "None", "not", "or", "recursive",
        "scoped", "self", "set", "true", "True", "with", "without", "super", "caller",
        "varargs", "kwargs",
    }
)  # fmt: skip
"""Words Jinja gives a meaning of its own, in tags or as names it defines."""


class RenameRefused(Exception):
    """Why the rename cannot be done; the message is for the user."""


@dataclass(frozen=True)
class RenameTarget:
    """The name under the cursor and every span a rename of it replaces."""

    name: str
    span: Span
    spans: tuple[Span, ...]


def rename_target(model: DocumentModel | None, source: str, position: Position) -> RenameTarget:
    """What renaming at `position` would rename; raises RenameRefused."""
    if not is_current(model, source):
        raise RenameRefused("the template does not parse yet: fix it before renaming")
    found = resolve_at(model, position)
    if found is None:
        raise RenameRefused("there is no variable or macro here to rename")
    if not found.definitions:
        raise RenameRefused(
            f"`{found.name}` is not defined in this template (the contract, a global or "
            "Jinja supplies it): rename it where it is defined"
        )
    spans = tuple(sorted({*found.definitions, *found.uses}, key=lambda span: span.start))
    under = next(span for span in spans if span.start <= position <= span.end)
    return RenameTarget(found.name, under, spans)


def check_new_name(model: DocumentModel, target: RenameTarget, new_name: str) -> None:
    """Raise RenameRefused unless `new_name` is a Jinja name no renamed span already sees."""
    if not _IDENTIFIER.match(new_name) or new_name in KEYWORDS:
        raise RenameRefused(f"`{new_name}` is not a name a template can define")
    if new_name == target.name:
        return
    for span in target.spans:
        if new_name in model.bindings_at(span.start):
            line = span.start.line + 1
            raise RenameRefused(
                f"`{new_name}` is already visible on line {line}, where `{target.name}` is "
                "used: renaming would change which value that use reads"
            )


@dataclass(frozen=True)
class NameEdit:
    """Replace the template name at `span` with `text` (its pin, if any, kept)."""

    span: Span
    text: str


def template_name_edits(source: str, renamed: Mapping[str, str]) -> list[NameEdit]:
    """The edits to `source` that make its include/extends/import strings follow
    `renamed` (old template name → new); `a.j2@production` becomes `b.j2@production`."""
    edits: list[NameEdit] = []
    for reference in template_references(source):
        base, pin = split_pin(reference.name)
        if base in renamed:
            new = renamed[base] if pin is None else f"{renamed[base]}@{pin}"
            edits.append(NameEdit(reference.span, new))
    return edits


def renamed_templates(names: Iterable[str], old_folder: str, new_folder: str) -> dict[str, str]:
    """The new name of every template in `names` under `old_folder` (a folder rename)."""
    prefix = old_folder.rstrip("/") + "/"
    return {
        name: new_folder.rstrip("/") + "/" + name[len(prefix) :]
        for name in names
        if name.startswith(prefix)
    }
