"""What the store records about a template: the variables it reads and the templates it names.

Both come from the analyser's own parse and scope analysis (not a second pass with
`jinja2.meta`): the variables are the names the template reads from its render context
(what an open root scope had to admit), the references every include, extends and import
target exactly as written, pins kept (`partials/a.j2@3`), which the resolver follows.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from jinja2 import Environment

from prompt_tool.analysis.checks import RootScope, TemplateAnalysis, Vocabulary, check_template
from prompt_tool.analysis.parsing import ParsedTemplate, parse_template
from prompt_tool.core.templating import TemplateEngine

CONTEXT_ORIGIN = "context"
"""The origin the checker gives a name an open root scope admits: one the renderer supplies."""


@dataclass(frozen=True)
class TemplateFacts:
    """Sorted names read from the render context, and referenced templates as written."""

    variables: tuple[str, ...] = ()
    references: tuple[str, ...] = ()


def facts_of(parsed: ParsedTemplate, analysis: TemplateAnalysis | None) -> TemplateFacts:
    """The facts of `parsed`, from its analysis against an open root (None: no AST)."""
    references = tuple(sorted({name for ref in parsed.includes for name in ref.names}))
    if analysis is None or not analysis.frames:
        return TemplateFacts((), references)
    root = analysis.frames[0].bindings
    variables = tuple(
        sorted(name for name, binding in root.items() if binding.origin == CONTEXT_ORIGIN)
    )
    return TemplateFacts(variables, references)


def read_template_facts(source: str, environment: Environment | None = None) -> TemplateFacts:
    """Parse and analyse `source` on its own (callers that hold no workspace: built-ins).

    With the renderer's plain environment the answer is cached by content: every template
    resolution reads the facts of each built-in default."""
    if environment is None:
        return _default_facts(source)
    return _read_facts(source, environment)


@functools.lru_cache(maxsize=1024)
def _default_facts(source: str) -> TemplateFacts:
    return _read_facts(source, TemplateEngine().environment)


def _read_facts(source: str, environment: Environment) -> TemplateFacts:
    parsed = parse_template(environment, "<template>", source)
    if parsed.ast is None:
        return facts_of(parsed, None)
    vocabulary = Vocabulary(frozenset(environment.filters), frozenset(environment.tests))
    root = RootScope({}, frozenset(environment.globals), is_open=True)
    return facts_of(parsed, check_template(parsed, root, vocabulary))
