"""Published templates of the configured database, held in memory for the server.

Read through the checking service's published-templates adapter
(`prompt_tool.checking.published`: the scope catalog, project + feature type → project →
global + feature type → global → built-in defaults, label `production` else the newest
version), as `templates lint` and `publish` read it, so that completion and include
resolution see what a session would render.
Loaded in a worker thread by the template catalog (on start, on a settings change, on the
`promptTool.refreshDatabase` command and periodically): keystrokes read memory, never the
database. An unreachable database leaves the last good copy in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prompt_tool.analysis.parsing import split_pin
from prompt_tool.analysis.template_links import template_references
from prompt_tool.checking.published import DEFAULT_LABEL
from prompt_tool.core.errors import PromptToolError

if TYPE_CHECKING:
    from prompt_tool.db.models import Prompt
    from prompt_tool.orchestration.template_resolver import ScopeCatalog


@dataclass(frozen=True)
class PublishedVersion:
    """One version of a published template: its number (0 for a built-in default) and text."""

    version: int
    content: str


@dataclass(frozen=True)
class PublishedTemplate:
    """What completion shows of one published template, and its text for the analyser.

    `version` and `labels` are those of the version an unpinned include resolves to; `pins`
    holds the other versions the catalog read (the slot's newest and labelled ones), keyed
    by the pin that selects them (`"3"`, `"staging"`), so a pinned include can be followed.
    """

    content: str
    detail: str
    version: int = 0
    labels: tuple[str, ...] = ()
    pins: Mapping[str, PublishedVersion] = field(default_factory=dict)
    slot: str = ""

    def labels_for(self, version: int) -> tuple[str, ...]:
        """The labels (among those read) that point at `version`."""
        return tuple(
            sorted(
                pin
                for pin, item in self.pins.items()
                if not pin.isdigit() and item.version == version
            )
        )


class PublishedTemplates:
    """A `TemplateSource` over the last successful read of the store at `url`."""

    def __init__(
        self, url: str | None, project: str | None = None, feature_type: str | None = None
    ) -> None:
        self.url = url
        self.project = project
        self.feature_type = feature_type
        self._templates: dict[str, PublishedTemplate] = {}
        self._includers: tuple[object, dict[str, list[str]]] | None = None

    def get_source(self, name: str) -> str | None:
        found = self._templates.get(name)
        return found.content if found is not None else None

    def list_names(self) -> Iterable[str]:
        return list(self._templates)

    def describe(self, name: str) -> str:
        found = self._templates.get(name)
        return found.detail if found is not None else "published template"

    def template(self, name: str) -> PublishedTemplate | None:
        return self._templates.get(name)

    def version_for(self, reference: str) -> tuple[str, PublishedVersion] | None:
        """The template name and version an include `reference` opens: the pinned version
        (`a.j2@3`, `a.j2@staging`) when it was read, else the one `a.j2` resolves to."""
        name, pin = split_pin(reference)
        found = self._templates.get(name)
        if found is None:
            return None
        pinned = found.pins.get(pin) if pin is not None else None
        return name, pinned or PublishedVersion(found.version, found.content)

    def summary(self, reference: str) -> tuple[str, str] | None:
        """What an include `reference` opens, in a line (`v3 (production) · global`), and its
        text; None when the database has no such template."""
        found = self.version_for(reference)
        template = self._templates.get(found[0]) if found is not None else None
        if found is None or template is None:
            return None
        chosen = found[1]
        if not template.slot:
            return "built-in default", chosen.content
        labels = template.labels_for(chosen.version)
        shown = f" ({', '.join(labels)})" if labels else ""
        return f"v{chosen.version}{shown} · {template.slot}", chosen.content

    def includers_of(self, name: str) -> list[str]:
        """The published templates that include, extend or import `name`. The index is built
        on first use after each read of the store (it lexes every published template once:
        call it off the event loop)."""
        templates = self._templates
        if self._includers is None or self._includers[0] is not templates:
            index: dict[str, list[str]] = {}
            for includer, template in templates.items():
                for target in {
                    split_pin(found.name)[0] for found in template_references(template.content)
                }:
                    index.setdefault(target, []).append(includer)
            self._includers = (templates, index)
        return self._includers[1].get(name, [])

    def load(self) -> str | None:
        """Read the store again; on failure keep the last copy and return the problem."""
        if self.url is None:
            return None
        from prompt_tool.checking.published import find_project, scope_catalog
        from prompt_tool.db.db_utils import DatabaseManager

        manager = DatabaseManager(self.url)
        try:
            manager.check_schema()
            with manager.session() as session:
                project = find_project(session, self.project)
                catalog = scope_catalog(session, project, self.feature_type)
                self._templates = _templates(catalog)
        except PromptToolError as error:
            return str(error)
        except Exception as error:
            return f"cannot read published templates: {error}"
        finally:
            manager.dispose()
        return None


def _templates(catalog: ScopeCatalog) -> dict[str, PublishedTemplate]:
    templates: dict[str, PublishedTemplate] = {}
    for name in sorted(catalog.names()):
        prompt, slot = catalog.lookup(name, None, DEFAULT_LABEL)
        if prompt is None or slot is None:
            continue
        if slot.scope is None:
            templates[name] = PublishedTemplate(prompt.content, "built-in default")
            continue
        won = catalog.winning(name)
        labelled = won[0].labels if won is not None else {}
        shown = f" ({', '.join(sorted(labelled))})" if labelled else ""
        detail = f"v{prompt.version}{shown} · {slot.title}"
        newest = [won[0].newest] if won is not None else []
        labels = tuple(
            sorted(label for label, item in labelled.items() if item.version == prompt.version)
        )
        templates[name] = PublishedTemplate(
            prompt.content, detail, prompt.version, labels, _pins(labelled, newest), slot.title
        )
    return templates


def _pins(labelled: Mapping[str, Prompt], others: list[Prompt]) -> dict[str, PublishedVersion]:
    """Every version read for one template, by the pins that select it."""
    pins = {
        str(prompt.version): PublishedVersion(prompt.version, prompt.content)
        for prompt in [*others, *labelled.values()]
    }
    pins.update(
        {
            label: PublishedVersion(prompt.version, prompt.content)
            for label, prompt in labelled.items()
        }
    )
    return pins
