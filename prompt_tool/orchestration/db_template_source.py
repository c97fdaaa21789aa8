"""The published templates of one scope, served to the analyser as a `TemplateSource`.

Lives in orchestration, not analysis, because it reads the database; the analyser only sees
the `get_source`/`list_names`/`has_pin` protocol. Names resolve through the same slots as a
session does (`ScopeCatalog`), so publish checks an include against what would render.
"""

from __future__ import annotations

from collections.abc import Iterable

from prompt_tool.orchestration.template_resolver import ScopeCatalog, split_pin


class DbTemplateSource:
    """`get_source("partials/a.j2@3")` → that version's text; bare names follow `label`.

    `label=None` means the newest version of the winning slot. `publishing` names the
    templates of the publish being checked: a pin to the label that publish moves onto them
    (`--label staging` with `{% include "partials/a.j2@staging" %}`) is valid although the
    database does not hold it yet.
    """

    def __init__(
        self,
        catalog: ScopeCatalog,
        label: str | None = None,
        publishing: frozenset[str] = frozenset(),
    ) -> None:
        self.catalog = catalog
        self.label = label or ""
        self.publishing = publishing

    def get_source(self, name: str) -> str | None:
        base, pin = split_pin(name)
        if pin is not None and pin.isdigit():
            self.catalog.load_versions([(base, int(pin))])
        if pin is not None and not self.catalog.has_pin(base, pin):
            return None
        prompt, _slot = self.catalog.lookup(base, pin, self.label)
        return prompt.content if prompt is not None else None

    def list_names(self) -> Iterable[str]:
        return sorted(self.catalog.names())

    def has_pin(self, name: str, pin: str) -> bool:
        if name in self.publishing and pin == self.label:
            return True
        return self.catalog.has_pin(name, pin)
