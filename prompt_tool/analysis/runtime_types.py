"""Import-mode fallback: a type read from the imported class, for projects that opt in.

Only used when `[tool.prompt-tool.contracts] import = true`: it runs the project's code,
which the static reader never does.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path

from prompt_tool.analysis.typeinfo import ANY, FieldInfo, Kind, TypeInfo
from prompt_tool.core.errors import ConfigError

_SCALARS: dict[object, Kind] = {
    str: Kind.STR,
    int: Kind.INT,
    float: Kind.FLOAT,
    bool: Kind.BOOL,
    type(None): Kind.NONE,
}


def import_type(module_name: str, qualname: str, source_roots: Sequence[Path]) -> TypeInfo:
    """Import `module_name` (source roots first on sys.path) and describe `qualname`."""
    from prompt_tool.analysis.type_resolver import TypeResolutionError

    added = [str(root) for root in source_roots if str(root) not in sys.path]
    sys.path[:0] = added
    try:
        target: object = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except Exception as error:
        raise TypeResolutionError(
            f"cannot import {module_name}:{qualname}: {type(error).__name__}: {error}"
        ) from None
    finally:
        for entry in added:
            if entry in sys.path:
                sys.path.remove(entry)
    return describe(target, {})


def describe(tp: object, seen: dict[object, TypeInfo]) -> TypeInfo:
    """A TypeInfo for a runtime annotation; classes are memoised so recursion terminates."""
    return _describe(tp, seen)[0]


def _describe(tp: object, seen: dict[object, TypeInfo]) -> tuple[TypeInfo, bool]:
    if tp in _SCALARS:
        return TypeInfo(_SCALARS[tp], getattr(tp, "__name__", "None")), tp is type(None)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union or origin is types.UnionType:
        members = [arg for arg in args if arg is not type(None)]
        is_optional = len(members) < len(args)
        if len(members) == 1:
            return describe(members[0], seen), is_optional
        return ANY, is_optional
    if origin is typing.Annotated:
        return _describe(args[0], seen)
    if isinstance(origin, type) and issubclass(origin, Mapping):
        element = describe(args[1], seen) if len(args) == 2 else ANY
        return TypeInfo(Kind.DICT, str(tp), element=element), False
    if isinstance(origin, type) and issubclass(origin, (list, tuple, set, frozenset, Sequence)):
        element = describe(args[0], seen) if args else ANY
        return TypeInfo(Kind.LIST, str(tp), element=element), False
    if isinstance(tp, type):
        return _describe_class(tp, seen), False
    return ANY, False


def _describe_class(cls: type, seen: dict[object, TypeInfo]) -> TypeInfo:
    if cls in seen:
        return seen[cls]
    info = TypeInfo(Kind.OBJECT, cls.__name__, doc=_first_line(cls.__doc__))
    seen[cls] = info
    try:
        hints = typing.get_type_hints(cls)
    except Exception as error:
        raise ConfigError(f"cannot read the annotations of {cls.__qualname__}: {error}") from None
    if not hints and not dataclasses.is_dataclass(cls):
        info.kind = Kind.ANY
        return info
    docs = _field_docs(cls)
    for name, hint in hints.items():
        if typing.get_origin(hint) is typing.ClassVar:
            continue
        field_type, is_optional = _describe(hint, seen)
        info.fields[name] = FieldInfo(name, field_type, docs.get(name, ""), is_optional)
    for name, member in vars(cls).items():
        if isinstance(member, property) and name not in info.fields:
            info.fields[name] = FieldInfo(name, ANY, _first_line(member.__doc__))
    return info


def _field_docs(cls: type) -> dict[str, str]:
    docs: dict[str, str] = {}
    if dataclasses.is_dataclass(cls):
        for item in dataclasses.fields(cls):
            doc = item.metadata.get("doc")
            if isinstance(doc, str):
                docs[item.name] = doc
    model_fields = getattr(cls, "model_fields", None)
    if isinstance(model_fields, Mapping):
        for name, info in model_fields.items():
            description = getattr(info, "description", None)
            if isinstance(description, str):
                docs[name] = description
    return docs


def _first_line(text: str | None) -> str:
    return text.strip().splitlines()[0].strip() if text and text.strip() else ""
