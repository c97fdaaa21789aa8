"""How the analyser sees types: the variable contract reduced to names, fields and docs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """The shapes of value a template can meet; OBJECT has a closed set of fields."""

    ANY = "any"
    STR = "str"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    NONE = "none"
    LIST = "list"
    DICT = "dict"
    OBJECT = "object"


@dataclass(eq=False)
class TypeInfo:
    """One type. Mutable only while being built, so that recursive types (a tree) can refer
    to themselves; treat it as frozen afterwards."""

    kind: Kind
    name: str
    doc: str = ""
    element: TypeInfo | None = None
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    is_mapping: bool = False
    """An OBJECT that is a dict at render time (a TypedDict, project variables): its keys
    are its fields, and dict methods such as `items()` work on it too."""

    def __repr__(self) -> str:
        return f"TypeInfo({self.name})"


@dataclass(frozen=True)
class FieldInfo:
    """A named, typed, documented value: a contract variable or an object's field."""

    name: str
    type: TypeInfo
    doc: str = ""
    is_optional: bool = False
    """The value may be None (`Optional[...]`, `X | None`): using it as a value needs a guard."""
    may_be_absent: bool = False
    """The renderer may not pass the name at all (`vars name?: T` in a header)."""


ANY = TypeInfo(Kind.ANY, "Any")


@dataclass(frozen=True)
class Contract:
    """What one phase's render receives: top-level names, each typed and documented."""

    name: str
    variables: Mapping[str, FieldInfo]

    def extended(self, extra: Mapping[str, FieldInfo]) -> Contract:
        """This contract plus `extra` (per-project variables); `extra` wins on a clash."""
        return Contract(self.name, {**self.variables, **extra})
