"""The language server's view of one template: what is referenced, defined and visible where.

Completions, hover and go-to-definition are thin layers over this model.
"""

from __future__ import annotations

from dataclasses import dataclass

from prompt_tool.analysis.checks import AttributeAccess, Reference, RootScope, TemplateAnalysis
from prompt_tool.analysis.diagnostics import Position, Span
from prompt_tool.analysis.parsing import BlockInfo, IncludeRef, MacroInfo, ParsedTemplate
from prompt_tool.analysis.scopes import Binding, Frame
from prompt_tool.analysis.typeinfo import ANY, TypeInfo


def _contains(span: Span, position: Position) -> bool:
    return span.start <= position <= span.end


def _size(span: Span) -> tuple[int, int]:
    return (span.end.line - span.start.line, span.end.column - span.start.column)


@dataclass(frozen=True)
class DocumentModel:
    """A parsed template plus one analysis of it against its own (or an open) root scope."""

    parsed: ParsedTemplate
    root: RootScope
    analysis: TemplateAnalysis | None

    @property
    def name(self) -> str:
        return self.parsed.name

    @property
    def includes(self) -> list[IncludeRef]:
        return self.parsed.includes

    @property
    def blocks(self) -> list[BlockInfo]:
        return self.parsed.blocks

    @property
    def macros(self) -> list[MacroInfo]:
        return self.parsed.macros

    @property
    def references(self) -> list[Reference]:
        return self.analysis.references if self.analysis else []

    @property
    def attributes(self) -> list[AttributeAccess]:
        return self.analysis.attributes if self.analysis else []

    def _bindings(self, origin: str) -> list[Binding]:
        frames = self.analysis.frames if self.analysis else []
        return [item for frame in frames for item in frame.history if item.origin == origin]

    @property
    def set_variables(self) -> list[Binding]:
        return self._bindings("set")

    @property
    def loop_variables(self) -> list[Binding]:
        return [item for item in self._bindings("loop") if item.name != "loop"]

    def reference_at(self, position: Position) -> Reference | AttributeAccess | None:
        """The variable or attribute under the cursor (hover, definition)."""
        candidates: list[Reference | AttributeAccess] = [*self.attributes, *self.references]
        return next((item for item in candidates if _contains(item.span, position)), None)

    def include_at(self, position: Position) -> IncludeRef | None:
        return next((ref for ref in self.includes if _contains(ref.span, position)), None)

    def frame_at(self, position: Position) -> Frame | None:
        frames = self.analysis.frames if self.analysis else []
        inside = [frame for frame in frames if frame.region and _contains(frame.region, position)]
        return min(inside, key=lambda frame: _size(frame.region), default=None)  # type: ignore[arg-type]

    def scope_at(self, position: Position) -> dict[str, TypeInfo]:
        """Names visible at `position`, each with its type (contract, globals, template)."""
        return {name: binding.type for name, binding in self.bindings_at(position).items()}

    def bindings_at(self, position: Position) -> dict[str, Binding]:
        frame = self.frame_at(position)
        if frame is None:
            return self._root_bindings()
        visible: dict[str, Binding] = {}
        for item in frame.chain():
            visible.update({name: Binding(name, ANY, "toplevel") for name in item.late})
            visible.update({name: b for name, b in item.bindings.items() if b.span is None})
            for binding in item.history:
                if binding.visible_from <= position or binding.origin in (
                    "loop",
                    "argument",
                    "with",
                ):
                    visible[binding.name] = binding
        return visible

    def _root_bindings(self) -> dict[str, Binding]:
        """What a render supplies, for a template that does not parse (yet): while an
        author types, completion still offers the contract and the globals."""
        visible = {name: Binding(name, ANY, "global") for name in sorted(self.root.globals)}
        for name, info in self.root.variables.items():
            visible[name] = Binding(name, info.type, "contract", None, True, info.doc)
        return visible
