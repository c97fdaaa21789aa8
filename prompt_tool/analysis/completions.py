"""Completion candidates for a context: filters, tests, tags, names, blocks, template names.

Filters, tests and globals are read from a Jinja environment (the one that renders, with
the project's extensions), never from a hand-written list.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from jinja2 import Environment

from prompt_tool.analysis.completion_context import CompletionContext, ContextKind
from prompt_tool.analysis.navigation import NameKind, block_names, defined_names
from prompt_tool.analysis.scopes import Binding
from prompt_tool.analysis.template_links import template_references
from prompt_tool.analysis.typeinfo import TypeInfo

TAGS = (
    "autoescape", "block", "call", "else", "elif", "endautoescape", "endblock", "endcall",
    "endfilter", "endfor", "endif", "endmacro", "endraw", "endset", "endwith", "extends",
    "filter", "for", "from", "if", "import", "include", "macro", "raw", "set", "with",
)  # fmt: skip
EXPRESSION_KEYWORDS = ("and", "else", "false", "if", "in", "is", "none", "not", "or", "true")
LOOP_ATTRIBUTES = {
    "index": "The current iteration, counting from 1.",
    "index0": "The current iteration, counting from 0.",
    "revindex": "Iterations left, counting down to 1.",
    "revindex0": "Iterations left, counting down to 0.",
    "first": "True on the first iteration.",
    "last": "True on the last iteration.",
    "length": "The number of items.",
    "cycle": "Cycle through the given values, one per iteration.",
    "depth": "The depth of a recursive loop, from 1.",
    "depth0": "The depth of a recursive loop, from 0.",
    "previtem": "The item of the previous iteration (undefined on the first).",
    "nextitem": "The item of the next iteration (undefined on the last).",
    "changed": "True when the given value differs from the previous iteration's.",
}


class CandidateKind(StrEnum):
    """What a candidate is, for the editor's icon."""

    FILTER = "filter"
    TEST = "test"
    KEYWORD = "keyword"
    VARIABLE = "variable"
    MACRO = "macro"
    PROPERTY = "property"
    BLOCK = "block"
    TEMPLATE = "template"
    FOLDER = "folder"


@dataclass(frozen=True)
class Candidate:
    """One completion: its text, kind, a one-line detail and optional documentation."""

    label: str
    kind: CandidateKind
    detail: str = ""
    documentation: str = ""


@dataclass(frozen=True)
class CompletionInputs:
    """What candidates are drawn from besides the document itself."""

    environment: Environment
    template_names: Mapping[str, str]
    """Template name → detail (where it comes from: workspace file, published version)."""
    source_of: Callable[[str], str | None]
    """Another template's source (for the blocks of the template this one extends)."""
    extra_filters: Iterable[str] = ()
    extra_tests: Iterable[str] = ()
    extra_globals: Iterable[str] = ()
    current_name: str | None = None
    """The template being edited, never offered as its own include."""
    scope: Mapping[str, Binding] = field(default_factory=dict)
    """Names visible at the cursor with their types (contract, globals, template), from the
    analyser's document model; empty when there is none."""


def candidates(
    context: CompletionContext, source: str, inputs: CompletionInputs
) -> list[Candidate]:
    """Every candidate for `context`, filtered by the typed prefix, sorted by label."""
    found = _BY_KIND.get(context.kind, _nothing)(context, source, inputs)
    prefix = context.prefix.lower()
    unique = {candidate.label: candidate for candidate in found}
    return sorted(
        (c for c in unique.values() if c.label.lower().startswith(prefix)), key=lambda c: c.label
    )


def _nothing(context: CompletionContext, source: str, inputs: CompletionInputs) -> list[Candidate]:
    return []


def _filters(context: CompletionContext, source: str, inputs: CompletionInputs) -> list[Candidate]:
    found = {name: _doc(value) for name, value in inputs.environment.filters.items()}
    found.update({name: "" for name in inputs.extra_filters if name not in found})
    return [Candidate(name, CandidateKind.FILTER, "filter", doc) for name, doc in found.items()]


def _tests(context: CompletionContext, source: str, inputs: CompletionInputs) -> list[Candidate]:
    found = {name: _doc(value) for name, value in inputs.environment.tests.items()}
    found.update({name: "" for name in inputs.extra_tests if name not in found})
    return [Candidate(name, CandidateKind.TEST, "test", doc) for name, doc in found.items()]


def _tags(context: CompletionContext, source: str, inputs: CompletionInputs) -> list[Candidate]:
    return [Candidate(tag, CandidateKind.KEYWORD, "tag") for tag in TAGS]


def _expression(
    context: CompletionContext, source: str, inputs: CompletionInputs
) -> list[Candidate]:
    found = [
        Candidate(
            name.name, _name_kind(name.kind), _name_detail(name.name, name.kind, name.parameters)
        )
        for name in defined_names(source)
        if name.kind != NameKind.BLOCK
    ]
    found.extend(
        Candidate(name, CandidateKind.VARIABLE, binding.type.name, binding.doc or binding.type.doc)
        for name, binding in inputs.scope.items()
    )
    globals_ = [*inputs.environment.globals, *inputs.extra_globals]
    found.extend(Candidate(name, CandidateKind.VARIABLE, "global") for name in globals_)
    found.append(Candidate("loop", CandidateKind.VARIABLE, "loop state inside a for loop"))
    found.extend(Candidate(word, CandidateKind.KEYWORD, "keyword") for word in EXPRESSION_KEYWORDS)
    return found


def _name_kind(kind: NameKind) -> CandidateKind:
    return (
        CandidateKind.MACRO if kind in {NameKind.MACRO, NameKind.IMPORT} else CandidateKind.VARIABLE
    )


def _name_detail(name: str, kind: NameKind, parameters: tuple[str, ...]) -> str:
    return f"macro {name}({', '.join(parameters)})" if kind == NameKind.MACRO else kind.value


def _attributes(
    context: CompletionContext, source: str, inputs: CompletionInputs
) -> list[Candidate]:
    if context.owner == ("loop",):
        return [
            Candidate(name, CandidateKind.PROPERTY, "loop attribute", doc)
            for name, doc in LOOP_ATTRIBUTES.items()
        ]
    owner = _type_of(context.owner, inputs.scope)
    if owner is None:
        return []
    return [
        Candidate(name, CandidateKind.PROPERTY, info.type.name, info.doc or info.type.doc)
        for name, info in owner.fields.items()
    ]


def _type_of(path: tuple[str, ...], scope: Mapping[str, Binding]) -> TypeInfo | None:
    """The type of `a.b.c` from the type of `a` in scope and the fields along the way."""
    if not path or path[0] not in scope:
        return None
    current = scope[path[0]].type
    for name in path[1:]:
        info = current.fields.get(name)
        if info is None:
            return None
        current = info.type
    return current


def _blocks(context: CompletionContext, source: str, inputs: CompletionInputs) -> list[Candidate]:
    found = [Candidate(name, CandidateKind.BLOCK, "block") for name in block_names(source)]
    for reference in template_references(source):
        parent = inputs.source_of(reference.name) if reference.tag == "extends" else None
        if parent is not None:
            detail = f"block of {reference.name}"
            found.extend(
                Candidate(name, CandidateKind.BLOCK, detail) for name in block_names(parent)
            )
    return found


def _templates(
    context: CompletionContext, source: str, inputs: CompletionInputs
) -> list[Candidate]:
    """One folder level at a time: the templates in the folder typed so far and its
    subfolders (`partials/`), never every name under it (a bare `{% include "` offered all
    10,010 names of a large database in a 2 MB answer)."""
    typed = context.prefix.lower()
    level = typed.rfind("/") + 1
    found: dict[str, Candidate] = {}
    for name, detail in inputs.template_names.items():
        if name == inputs.current_name or not name.lower().startswith(typed):
            continue
        slash = name.find("/", level)
        if slash < 0:
            found[name] = Candidate(name, CandidateKind.TEMPLATE, detail)
        elif (folder := name[: slash + 1]) not in found:
            found[folder] = Candidate(folder, CandidateKind.FOLDER, "folder")
    return list(found.values())


def _doc(value: object) -> str:
    text = inspect.getdoc(value) or ""
    return text.split("\n\n")[0].strip()


SCOPED_KINDS = frozenset({ContextKind.EXPRESSION, ContextKind.ATTRIBUTE})
"""The contexts whose candidates come from the names in scope (the analyser's model)."""

_BY_KIND = {
    ContextKind.FILTER: _filters,
    ContextKind.TEST: _tests,
    ContextKind.TAG: _tags,
    ContextKind.EXPRESSION: _expression,
    ContextKind.ATTRIBUTE: _attributes,
    ContextKind.BLOCK_NAME: _blocks,
    ContextKind.TEMPLATE_NAME: _templates,
}
