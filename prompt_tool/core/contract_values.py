"""Contract objects from JSON: a context file or sample becomes the dataclasses a render takes.

An author writes a context by hand (`templates render --context ctx.json`, `samples/*.json`);
a wrong shape must say where and what was expected in one line, not fail later inside a
template. The JSON is checked against the contract's type hints and built into the same
frozen dataclasses the orchestrator builds, so a preview renders what a session would.
Errors carry the JSON path (`$.feature.acceptance_criteria[2]`) and, when the text is known,
the line and column of the offending value (`locate`).
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Sequence
from dataclasses import MISSING, fields, is_dataclass
from typing import Any, TypeVar

from prompt_tool.core.errors import ValidationError

T = TypeVar("T")
PathPart = str | int
_JSON_NAMES = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    list: "array",
    dict: "object",
    type(None): "null",
}


class ContractValueError(ValidationError):
    """A JSON value does not fit the contract; `path` says where (`$.feature.name`)."""

    def __init__(self, path: Sequence[PathPart], problem: str) -> None:
        self.path = tuple(path)
        self.problem = problem
        super().__init__(f"{json_path(path)}: {problem}")


def json_path(path: Sequence[PathPart]) -> str:
    """`$`, `$.feature.name`, `$.files[0].path`."""
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


def type_name(hint: Any) -> str:
    """A contract type as an author reads it: `str`, `list[FileInfo]`, `str | None`."""
    if hint is Any:
        return "any value"
    if isinstance(hint, type):
        return hint.__name__
    return str(hint).replace("typing.", "")


def _json_kind(value: object) -> str:
    return _JSON_NAMES.get(type(value), type(value).__name__)


def build(cls: type[T], data: object, path: Sequence[PathPart] = ()) -> T:
    """An instance of dataclass `cls` from parsed JSON, every field checked against its type."""
    if not isinstance(data, dict):
        raise ContractValueError(
            path, f"expected {cls.__name__} (an object), got {_json_kind(data)}"
        )
    hints = typing.get_type_hints(cls)
    known = {item.name: item for item in fields(cls)}  # type: ignore[arg-type]
    for key in data:
        if key not in known:
            raise ContractValueError(
                [*path, key], f"unknown field of {cls.__name__} (known: {', '.join(known)})"
            )
    values: dict[str, Any] = {}
    for name, item in known.items():
        if name in data:
            values[name] = _convert(hints[name], data[name], [*path, name])
        elif item.default is MISSING and item.default_factory is MISSING:
            raise ContractValueError(
                [*path, name], f"missing field of type {type_name(hints[name])}"
            )
    return cls(**values)


def _convert(hint: Any, value: object, path: list[PathPart]) -> Any:
    if hint is Any:
        return value
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        for option in (o for o in options if o is not type(None)):
            try:
                return _convert(option, value, path)
            except ContractValueError:
                continue
        raise ContractValueError(path, f"expected {type_name(hint)}, got {_json_kind(value)}")
    if origin is list:
        if not isinstance(value, list):
            raise ContractValueError(path, f"expected {type_name(hint)}, got {_json_kind(value)}")
        (item,) = typing.get_args(hint) or (Any,)
        return [_convert(item, element, [*path, index]) for index, element in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ContractValueError(path, f"expected {type_name(hint)}, got {_json_kind(value)}")
        _key, item = typing.get_args(hint) or (str, Any)
        return {key: _convert(item, element, [*path, key]) for key, element in value.items()}
    if isinstance(hint, type) and is_dataclass(hint):
        return build(hint, value, path)
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if (
        isinstance(hint, type)
        and isinstance(value, hint)
        and not (hint is int and isinstance(value, bool))
    ):
        return value
    raise ContractValueError(path, f"expected {type_name(hint)}, got {_json_kind(value)}")


def parse_json(text: str, where: str) -> object:
    """JSON text parsed; a syntax error is one line `where:line:col: message`."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationError(f"{where}:{error.lineno}:{error.colno}: {error.msg}") from None


def locate(text: str, path: Sequence[PathPart]) -> tuple[int, int]:
    """The 0-based (line, column) where the value at `path` starts in JSON `text`; for a
    path that is not there (a missing field), where its nearest existing parent starts."""
    scanner = _Scanner(text)
    offset = scanner.find(list(path))
    before = text[:offset]
    line = before.count("\n")
    return line, offset - (before.rfind("\n") + 1)


class _Scanner:
    """Just enough of a JSON reader to find where a value starts (the text is valid JSON)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def find(self, path: list[PathPart]) -> int:
        self._space()
        start = self.at
        if not path:
            return start
        wanted, rest = path[0], path[1:]
        if self.text.startswith("{", self.at) and isinstance(wanted, str):
            self.at += 1
            while True:
                self._space()
                if self.text.startswith("}", self.at) or self.at >= len(self.text):
                    return start
                key = self._string()
                self._space()
                self.at += 1  # the colon
                if key == wanted:
                    return self.find(rest)
                self._space()
                self._skip()
                self._space()
                if self.text.startswith(",", self.at):
                    self.at += 1
        if self.text.startswith("[", self.at) and isinstance(wanted, int):
            self.at += 1
            index = 0
            while True:
                self._space()
                if self.text.startswith("]", self.at) or self.at >= len(self.text):
                    return start
                if index == wanted:
                    return self.find(rest)
                self._skip()
                self._space()
                if self.text.startswith(",", self.at):
                    self.at += 1
                index += 1
        return start

    def _space(self) -> None:
        while self.at < len(self.text) and self.text[self.at] in " \t\r\n":
            self.at += 1

    def _string(self) -> str:
        decoded, end = json.JSONDecoder().raw_decode(self.text, self.at)
        self.at = end
        return str(decoded)

    def _skip(self) -> None:
        _value, end = json.JSONDecoder().raw_decode(self.text, self.at)
        self.at = end
