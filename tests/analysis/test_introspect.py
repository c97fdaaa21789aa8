"""Python annotations → TypeInfo, including recursive and optional types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Optional, TypedDict, Union

import pytest

from prompt_tool.analysis.introspect import contract_from_dataclass, type_from_python
from prompt_tool.analysis.typeinfo import Kind


@dataclass
class Node:
    """A tree node."""

    label: str = field(metadata={"doc": "What the node shows."})
    children: list[Node] = field(default_factory=list)
    parent: Node | None = None


class Issue(TypedDict):
    title: str
    labels: list[str]


@pytest.mark.parametrize(
    ("annotation", "kind", "name"),
    [
        pytest.param(str, Kind.STR, "str", id="str"),
        pytest.param(int, Kind.INT, "int", id="int"),
        pytest.param(bool, Kind.BOOL, "bool", id="bool"),
        pytest.param(None, Kind.NONE, "none", id="none"),
        pytest.param(list[int], Kind.LIST, "list[int]", id="list"),
        pytest.param(tuple[str, ...], Kind.LIST, "list[str]", id="tuple"),
        pytest.param(dict[str, float], Kind.DICT, "dict[str, float]", id="dict"),
        pytest.param(Optional[int], Kind.INT, "int", id="optional"),  # noqa: UP045
        pytest.param(int | None, Kind.INT, "int", id="pipe-optional"),
        pytest.param(Union[int, str], Kind.ANY, "int | str", id="union"),  # noqa: UP007
        pytest.param(Literal["a", "b"], Kind.STR, "Literal['a' | 'b']", id="literal"),
        pytest.param(Any, Kind.ANY, "Any", id="any"),
        pytest.param(object, Kind.ANY, "object", id="plain-class"),
    ],
)
def test_annotation_kinds(annotation: object, kind: Kind, name: str) -> None:
    info = type_from_python(annotation)
    assert (info.kind, info.name) == (kind, name)


def test_recursive_dataclass_refers_to_itself() -> None:
    info = type_from_python(Node)
    children = info.fields["children"].type
    assert children.element is info
    assert info.fields["parent"].type is info
    assert info.fields["parent"].is_optional
    assert info.fields["label"].doc == "What the node shows."
    assert info.doc == "A tree node."


def test_typeddict_and_contract() -> None:
    contract = contract_from_dataclass("issue", Issue)
    assert set(contract.variables) == {"title", "labels"}
    element = contract.variables["labels"].type.element
    assert element is not None and element.kind == Kind.STR
    issue = type_from_python(Issue)
    assert issue.is_mapping and not type_from_python(Node).is_mapping
