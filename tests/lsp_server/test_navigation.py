"""Hover, go to definition, references and signature help over stdio."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

MAIN = """{% extends "base.j2" %}
{% macro field(name, value="") %}{{ name }}={{ value }}{% endmacro %}
{% block task %}{{ field("a", 1) }}{{ items | length }}{% endblock %}
"""


def r(line: int, start: int, end: int) -> types.Range:
    return types.Range(types.Position(line, start), types.Position(line, end))


async def start(lsp, tmp_path: Path) -> tuple[str, Path]:
    (tmp_path / "base.j2").write_text("".join(f"line {n}\n" for n in range(1, 14)))
    (tmp_path / "other.j2").write_text('{% extends "base.j2" %}\n')
    await lsp.initialize(tmp_path)
    return lsp.open(tmp_path / "main.j2", MAIN), tmp_path


def at(uri: str, line: int, character: int) -> dict[str, object]:
    return {
        "text_document": types.TextDocumentIdentifier(uri),
        "position": types.Position(line, character),
    }


async def test_hover_on_an_include_name_shows_the_target_and_its_first_lines(
    lsp, tmp_path: Path
) -> None:
    uri, folder = await start(lsp, tmp_path)

    hover = await lsp.client.text_document_hover_async(types.HoverParams(**at(uri, 0, 14)))

    assert hover.range == r(0, 12, 19)
    assert hover.contents.kind == types.MarkupKind.Markdown
    text = hover.contents.value
    assert text.startswith(f"**base.j2** — `{folder / 'base.j2'}`")
    assert "line 10\n```" in text and "line 11" not in text
    assert text.endswith("…3 more lines")


async def test_hover_on_a_filter_shows_its_documentation(lsp, tmp_path: Path) -> None:
    uri, _ = await start(lsp, tmp_path)

    hover = await lsp.client.text_document_hover_async(types.HoverParams(**at(uri, 2, 48)))

    assert hover.range == r(2, 46, 52)
    assert hover.contents.value.startswith("**length** (filter)")


async def test_hover_on_a_macro_call_shows_its_signature(lsp, tmp_path: Path) -> None:
    uri, _ = await start(lsp, tmp_path)

    hover = await lsp.client.text_document_hover_async(types.HoverParams(**at(uri, 2, 20)))

    assert hover.contents.value == "**field(name, value)** — macro, line 2"


async def test_definition_of_an_include_name_and_of_a_macro(lsp, tmp_path: Path) -> None:
    uri, folder = await start(lsp, tmp_path)

    target = await lsp.client.text_document_definition_async(
        types.DefinitionParams(**at(uri, 0, 14))
    )
    macro = await lsp.client.text_document_definition_async(
        types.DefinitionParams(**at(uri, 2, 20))
    )

    assert target == types.Location(lsp.uri_of(folder / "base.j2"), r(0, 0, 0))
    assert macro == types.Location(uri, r(1, 9, 14))


async def test_references_of_a_macro_and_of_a_template(lsp, tmp_path: Path) -> None:
    uri, folder = await start(lsp, tmp_path)

    macro = await lsp.client.text_document_references_async(
        types.ReferenceParams(
            context=types.ReferenceContext(include_declaration=True), **at(uri, 1, 10)
        )
    )
    template = await lsp.client.text_document_references_async(
        types.ReferenceParams(
            context=types.ReferenceContext(include_declaration=True), **at(uri, 0, 14)
        )
    )

    assert [(loc.uri, loc.range) for loc in macro] == [(uri, r(1, 9, 14)), (uri, r(2, 19, 24))]
    assert sorted((loc.uri, loc.range.start.line) for loc in template) == sorted(
        [(uri, 0), (lsp.uri_of(folder / "other.j2"), 0)]
    )


async def test_signature_help_marks_the_active_argument(lsp, tmp_path: Path) -> None:
    uri, _ = await start(lsp, tmp_path)

    help_ = await lsp.client.text_document_signature_help_async(
        types.SignatureHelpParams(**at(uri, 2, 30))
    )

    assert [s.label for s in help_.signatures] == ["field(name, value)"]
    assert help_.active_parameter == 1


SHADOWING = """{% set item = "none" %}
{% for item in items %}{{ item }}{% endfor %}
{% for item in others %}{{ item }}{% endfor %}
{{ item }}
"""


async def test_definition_of_a_variable_is_the_binding_in_scope(lsp, tmp_path: Path) -> None:
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "loops.j2", SHADOWING)
    await lsp.published_version(uri, 1)

    second_loop, after = [
        await lsp.client.text_document_definition_async(types.DefinitionParams(**at(uri, *cell)))
        for cell in ((2, 28), (3, 4))
    ]

    assert second_loop == types.Location(uri, r(2, 7, 11))
    assert after == types.Location(uri, r(0, 7, 11))


async def test_references_of_a_loop_variable_stay_in_its_loop(lsp, tmp_path: Path) -> None:
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "loops.j2", SHADOWING)
    await lsp.published_version(uri, 1)

    found = await lsp.client.text_document_references_async(
        types.ReferenceParams(
            context=types.ReferenceContext(include_declaration=True), **at(uri, 1, 8)
        )
    )
    without_declaration = await lsp.client.text_document_references_async(
        types.ReferenceParams(
            context=types.ReferenceContext(include_declaration=False), **at(uri, 0, 8)
        )
    )

    assert [loc.range for loc in found] == [r(1, 7, 11), r(1, 26, 30)]
    assert [loc.range for loc in without_declaration] == [r(3, 3, 7)]


async def test_a_half_typed_template_still_navigates_by_name(lsp, tmp_path: Path) -> None:
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "typing.j2", "{% set total = 1 %}{{ total }}{% if ")
    await lsp.published_version(uri, 1)

    found = await lsp.client.text_document_definition_async(
        types.DefinitionParams(**at(uri, 0, 23))
    )

    assert found == types.Location(uri, r(0, 7, 12))


async def test_hover_knows_the_renderers_filters_and_the_declared_ones(lsp, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.prompt-tool.contracts]\nfilters = ["shout"]\n', encoding="utf-8"
    )
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "a.j2", "{{ items | bullet_list }}{{ name | shout }}\n")

    product = await lsp.client.text_document_hover_async(types.HoverParams(**at(uri, 0, 14)))
    declared = await lsp.client.text_document_hover_async(types.HoverParams(**at(uri, 0, 37)))

    assert product.contents.value.startswith("**bullet_list** (filter)")
    assert "One `- item` line per element" in product.contents.value
    assert "not a filter" not in product.contents.value
    assert "Declared in [tool.prompt-tool.contracts] filters" in declared.contents.value
