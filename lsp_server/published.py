"""Published templates of the configured database, held in memory for the server.

Loaded in a worker thread by the template catalog (on start, on a settings change, on the
`promptTool.refreshDatabase` command and periodically), so that completion and analysis
read memory, never the database. An unreachable database leaves the last good copy in
place and is reported once, not once per keystroke.
"""

from __future__ import annotations

from collections.abc import Iterable

from prompt_tool.analysis.sources import MappingSource
from prompt_tool.core.errors import PromptToolError


class PublishedTemplates:
    """A `TemplateSource` over the last successful read of the database at `url`."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self._source = MappingSource({})

    def get_source(self, name: str) -> str | None:
        return self._source.get_source(name)

    def list_names(self) -> Iterable[str]:
        return self._source.list_names()

    def load(self) -> str | None:
        """Read the database again; on failure keep the last copy and return the problem."""
        if self.url is None:
            return None
        from prompt_tool.orchestration.published_templates import published_template_source

        try:
            self._source = published_template_source(self.url)
        except PromptToolError as error:
            return str(error)
        except Exception as error:
            return f"cannot read published templates: {error}"
        return None
