"""The analyser and the conversions, as the features reach them: imported on first use.

Start-up speed is why this module exists. Registering the features needs only lsprotocol
and pygls; the analyser (`prompt_tool.analysis`, the checking service behind it) and
`lsp_server.convert` take longer to import than the rest of the server, and nothing needs
them before the first document arrives. So the features write `api.outline(...)` instead of
importing `outline`: the first access imports the module that defines the name (PEP 562
module `__getattr__`) and keeps the value here, so later accesses are plain lookups. For the
type checker the names are ordinary imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lsp_server.analysis_runner import (
        Change as Change,
    )
    from lsp_server.analysis_runner import (
        Outcome as Outcome,
    )
    from lsp_server.convert import (
        ClientText as ClientText,
    )
    from lsp_server.convert import (
        analysis_position as analysis_position,
    )
    from lsp_server.convert import (
        analysis_span as analysis_span,
    )
    from lsp_server.convert import (
        lsp_completion_item as lsp_completion_item,
    )
    from lsp_server.convert import (
        lsp_diagnostic as lsp_diagnostic,
    )
    from lsp_server.convert import (
        lsp_document_symbol as lsp_document_symbol,
    )
    from lsp_server.convert import (
        lsp_folding_range as lsp_folding_range,
    )
    from lsp_server.convert import (
        lsp_hover as lsp_hover,
    )
    from lsp_server.convert import (
        lsp_location as lsp_location,
    )
    from lsp_server.convert import (
        lsp_position as lsp_position,
    )
    from lsp_server.convert import (
        lsp_range as lsp_range,
    )
    from lsp_server.convert import (
        lsp_semantic_tokens as lsp_semantic_tokens,
    )
    from lsp_server.convert import (
        lsp_text_edit as lsp_text_edit,
    )
    from lsp_server.convert import (
        lsp_workspace_edit as lsp_workspace_edit,
    )
    from lsp_server.convert import (
        result_id as result_id,
    )
    from lsp_server.convert import (
        split_lines as split_lines,
    )
    from prompt_tool.analysis.completion_context import (
        ContextKind as ContextKind,
    )
    from prompt_tool.analysis.completion_context import (
        completion_context as completion_context,
    )
    from prompt_tool.analysis.completions import (
        SCOPED_KINDS as SCOPED_KINDS,
    )
    from prompt_tool.analysis.completions import (
        CompletionInputs as CompletionInputs,
    )
    from prompt_tool.analysis.completions import (
        candidates as candidates,
    )
    from prompt_tool.analysis.document import (
        DocumentModel as DocumentModel,
    )
    from prompt_tool.analysis.highlighting import (
        highlight as highlight,
    )
    from prompt_tool.analysis.hovers import (
        HoverText as HoverText,
    )
    from prompt_tool.analysis.hovers import (
        hover_at as hover_at,
    )
    from prompt_tool.analysis.hovers import (
        include_hover as include_hover,
    )
    from prompt_tool.analysis.hovers import (
        typed_hover as typed_hover,
    )
    from prompt_tool.analysis.name_resolution import (
        definition_at as definition_at,
    )
    from prompt_tool.analysis.name_resolution import (
        uses_at as uses_at,
    )
    from prompt_tool.analysis.navigation import (
        NameKind as NameKind,
    )
    from prompt_tool.analysis.navigation import (
        call_at as call_at,
    )
    from prompt_tool.analysis.navigation import (
        defined_names as defined_names,
    )
    from prompt_tool.analysis.outline import (
        outline as outline,
    )
    from prompt_tool.analysis.parsing import (
        split_pin as split_pin,
    )
    from prompt_tool.analysis.renaming import (
        Dependants as Dependants,
    )
    from prompt_tool.analysis.renaming import (
        RenameRefused as RenameRefused,
    )
    from prompt_tool.analysis.renaming import (
        Replacement as Replacement,
    )
    from prompt_tool.analysis.renaming import (
        rename_edits as rename_edits,
    )
    from prompt_tool.analysis.renaming import (
        rename_target as rename_target,
    )
    from prompt_tool.analysis.renaming import (
        renamed_template_names as renamed_template_names,
    )
    from prompt_tool.analysis.scopes import (
        Binding as Binding,
    )
    from prompt_tool.analysis.template_links import (
        reference_at as reference_at,
    )
    from prompt_tool.analysis.template_links import (
        template_references as template_references,
    )
    from prompt_tool.analysis.typeinfo import (
        Kind as Kind,
    )

_HOMES: dict[str, str] = {
    "Change": "lsp_server.analysis_runner",
    "Outcome": "lsp_server.analysis_runner",
    "ClientText": "lsp_server.convert",
    "analysis_position": "lsp_server.convert",
    "analysis_span": "lsp_server.convert",
    "lsp_completion_item": "lsp_server.convert",
    "lsp_diagnostic": "lsp_server.convert",
    "lsp_document_symbol": "lsp_server.convert",
    "lsp_folding_range": "lsp_server.convert",
    "lsp_hover": "lsp_server.convert",
    "lsp_location": "lsp_server.convert",
    "lsp_position": "lsp_server.convert",
    "lsp_range": "lsp_server.convert",
    "lsp_semantic_tokens": "lsp_server.convert",
    "lsp_text_edit": "lsp_server.convert",
    "lsp_workspace_edit": "lsp_server.convert",
    "result_id": "lsp_server.convert",
    "split_lines": "lsp_server.convert",
    "ContextKind": "prompt_tool.analysis.completion_context",
    "completion_context": "prompt_tool.analysis.completion_context",
    "CompletionInputs": "prompt_tool.analysis.completions",
    "SCOPED_KINDS": "prompt_tool.analysis.completions",
    "candidates": "prompt_tool.analysis.completions",
    "DocumentModel": "prompt_tool.analysis.document",
    "HoverText": "prompt_tool.analysis.hovers",
    "hover_at": "prompt_tool.analysis.hovers",
    "include_hover": "prompt_tool.analysis.hovers",
    "typed_hover": "prompt_tool.analysis.hovers",
    "definition_at": "prompt_tool.analysis.name_resolution",
    "uses_at": "prompt_tool.analysis.name_resolution",
    "NameKind": "prompt_tool.analysis.navigation",
    "call_at": "prompt_tool.analysis.navigation",
    "defined_names": "prompt_tool.analysis.navigation",
    "outline": "prompt_tool.analysis.outline",
    "split_pin": "prompt_tool.analysis.parsing",
    "Dependants": "prompt_tool.analysis.renaming",
    "RenameRefused": "prompt_tool.analysis.renaming",
    "Replacement": "prompt_tool.analysis.renaming",
    "rename_edits": "prompt_tool.analysis.renaming",
    "rename_target": "prompt_tool.analysis.renaming",
    "renamed_template_names": "prompt_tool.analysis.renaming",
    "Binding": "prompt_tool.analysis.scopes",
    "reference_at": "prompt_tool.analysis.template_links",
    "template_references": "prompt_tool.analysis.template_links",
    "highlight": "prompt_tool.analysis.highlighting",
    "Kind": "prompt_tool.analysis.typeinfo",
}
"""Each name the features use, and the module that defines it."""


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
