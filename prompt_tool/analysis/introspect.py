"""Python types → TypeInfo: the one runtime type reader.

How dataclasses, TypedDicts, pydantic models, annotated classes and annotations become a
contract: used for the built-in phase contracts and for the classes a project's
`[tool.prompt-tool.contracts]` names when `import = true` (the checking service imports
them; this module only reads the objects it is given).
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from prompt_tool.analysis.typeinfo import ANY, Contract, FieldInfo, Kind, TypeInfo

_SCALARS: dict[object, Kind] = {
    str: Kind.STR,
    int: Kind.INT,
    float: Kind.FLOAT,
    bool: Kind.BOOL,
    type(None): Kind.NONE,
    None: Kind.NONE,
}
_SEQUENCES = {list, tuple, set, frozenset}
_MAPPINGS = {dict}


def type_from_python(tp: object) -> TypeInfo:
    """The TypeInfo of annotation `tp`; unknown or unsupported types become Any."""
    return _Introspector().convert(tp)


def contract_from_dataclass(name: str, cls: type) -> Contract:
    """A contract whose variables are the fields of `cls` (a dataclass or TypedDict)."""
    info = _Introspector().convert(cls)
    return Contract(name, dict(info.fields))


def field_doc(field: dataclasses.Field[Any]) -> str:
    """The one-line doc a contract field carries in `metadata={"doc": ...}`."""
    return str(field.metadata.get("doc", ""))


def _is_typeddict(tp: object) -> bool:
    return isinstance(tp, type) and typing.is_typeddict(tp)


def _is_annotated_class(cls: type) -> bool:
    """A plain class of the project's that declares its attributes (`name: str` in the body)."""
    return cls.__module__ not in {"builtins", "typing", "collections.abc"} and bool(
        inspect.get_annotations(cls)
    )


def _is_pydantic_model(tp: object) -> bool:
    return isinstance(tp, type) and isinstance(getattr(tp, "model_fields", None), dict)


def _split_optional(args: tuple[object, ...]) -> tuple[list[object], bool]:
    present = [arg for arg in args if arg is not type(None)]
    return present, len(present) != len(args)


class _Introspector:
    """One conversion; remembers classes in progress so recursive types terminate."""

    def __init__(self) -> None:
        self._seen: dict[type, TypeInfo] = {}

    def convert(self, tp: object) -> TypeInfo:
        if tp is Any or tp is typing.Any:
            return ANY
        if tp in _SCALARS:
            kind = _SCALARS[tp]
            return TypeInfo(kind, kind.value)
        origin = get_origin(tp)
        if origin is not None:
            return self._generic(tp, origin, get_args(tp))
        if isinstance(tp, type):
            return self._class(tp)
        return TypeInfo(Kind.ANY, getattr(tp, "__name__", str(tp)))

    def _generic(self, tp: object, origin: object, args: tuple[object, ...]) -> TypeInfo:
        if origin in (Union, types.UnionType):
            return self._union(args)
        if origin is Literal:
            return self._literal(args)
        if origin is typing.Annotated:
            return self.convert(args[0])
        if origin in _SEQUENCES or _is_abc(origin, "Sequence", "Iterable", "Set", "Collection"):
            element = self.convert(args[0]) if args else ANY
            return TypeInfo(Kind.LIST, f"list[{element.name}]", element=element)
        if origin in _MAPPINGS or _is_abc(origin, "Mapping", "MutableMapping"):
            value = self.convert(args[1]) if len(args) == 2 else ANY
            return TypeInfo(Kind.DICT, f"dict[str, {value.name}]", element=value)
        return TypeInfo(Kind.ANY, str(tp))

    def _union(self, args: tuple[object, ...]) -> TypeInfo:
        present, _ = _split_optional(args)
        if len(present) == 1:
            return self.convert(present[0])
        names = " | ".join(self.convert(arg).name for arg in args)
        return TypeInfo(Kind.ANY, names)

    def _literal(self, args: tuple[object, ...]) -> TypeInfo:
        kinds = {_SCALARS.get(type(arg), Kind.ANY) for arg in args}
        kind = kinds.pop() if len(kinds) == 1 else Kind.ANY
        shown = " | ".join(repr(arg) for arg in args)
        return TypeInfo(kind, f"Literal[{shown}]")

    def _class(self, cls: type) -> TypeInfo:
        if cls in self._seen:
            return self._seen[cls]
        is_record = (
            dataclasses.is_dataclass(cls)
            or _is_typeddict(cls)
            or _is_pydantic_model(cls)
            or _is_annotated_class(cls)
        )
        if cls in _SEQUENCES:
            return TypeInfo(Kind.LIST, "list", element=ANY)
        if not is_record and (cls in _MAPPINGS or issubclass(cls, Mapping)):
            return TypeInfo(Kind.DICT, "dict", element=ANY)
        if not is_record:
            return TypeInfo(Kind.ANY, cls.__name__)
        info = TypeInfo(Kind.OBJECT, cls.__name__, doc=_first_line(cls.__doc__))
        info.is_mapping = _is_typeddict(cls)
        self._seen[cls] = info
        info.fields.update(self._fields(cls))
        return info

    def _fields(self, cls: type) -> dict[str, FieldInfo]:
        try:
            hints = get_type_hints(cls)
        except Exception:
            hints = dict(getattr(cls, "__annotations__", {}))
        docs = _field_docs(cls)
        result: dict[str, FieldInfo] = {}
        for name, annotation in hints.items():
            if name.startswith("_"):
                continue
            optional = _is_optional(annotation)
            result[name] = FieldInfo(name, self.convert(annotation), docs.get(name, ""), optional)
        if not _is_typeddict(cls):
            for name, member in vars(cls).items():
                if isinstance(member, property) and name not in result and name[:1] != "_":
                    result[name] = FieldInfo(name, ANY, _first_line(member.__doc__))
        return result


def _is_abc(origin: object, *names: str) -> bool:
    return getattr(origin, "__module__", "") == "collections.abc" and getattr(
        origin, "__name__", ""
    ) in set(names)


def _is_optional(annotation: object) -> bool:
    if get_origin(annotation) in (Union, types.UnionType):
        return _split_optional(get_args(annotation))[1]
    return False


def _field_docs(cls: type) -> dict[str, str]:
    if dataclasses.is_dataclass(cls):
        return {field.name: field_doc(field) for field in dataclasses.fields(cls)}
    model_fields = getattr(cls, "model_fields", None)
    if isinstance(model_fields, dict):
        return {
            name: str(getattr(info, "description", "") or "") for name, info in model_fields.items()
        }
    return {}


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n", 1)[0]
