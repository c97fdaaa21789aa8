"""Type expressions from config and headers, resolved by reading Python source, never running it.

A project names the context of its templates as `package.module:Name` (a dataclass, a
`TypedDict` or a pydantic model) or as a builtin expression (`list[str]`, `X | None`). The
linter runs in CI on code it must not execute, so modules are found on the source roots and
read with `ast`; importing is a fallback the project opts into (`import = true`).
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from prompt_tool.analysis.typeinfo import ANY, Contract, FieldInfo, Kind, TypeInfo
from prompt_tool.core.errors import ConfigError

_REFERENCE = re.compile(
    r"(?<![\w.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)"
)
_REFERENCE_PREFIX = "__prompt_tool_ref_"

STR = TypeInfo(Kind.STR, "str")
INT = TypeInfo(Kind.INT, "int")
FLOAT = TypeInfo(Kind.FLOAT, "float")
BOOL = TypeInfo(Kind.BOOL, "bool")
NONE = TypeInfo(Kind.NONE, "None")

_SCALARS: dict[str, TypeInfo] = {
    "str": STR,
    "int": INT,
    "float": FLOAT,
    "bool": BOOL,
    "None": NONE,
    "NoneType": NONE,
    "Any": ANY,
    "object": ANY,
}
_SEQUENCES = frozenset(
    {
        "list",
        "List",
        "Sequence",
        "MutableSequence",
        "Iterable",
        "Iterator",
        "Collection",
        "tuple",
        "Tuple",
        "set",
        "Set",
        "frozenset",
        "FrozenSet",
        "AbstractSet",
        "MutableSet",
        "deque",
        "Deque",
    }
)
_MAPPINGS = frozenset(
    {"dict", "Dict", "Mapping", "MutableMapping", "OrderedDict", "defaultdict", "DefaultDict"}
)
_WRAPPERS = frozenset({"Required", "ReadOnly", "Final", "ClassVar", "InitVar", "Annotated"})
_TYPING_MODULES = frozenset({"typing", "typing_extensions", "collections.abc", "collections"})
# Bases that mark a class as a record type without adding attributes a template would read.
_RECORD_BASES = frozenset(
    {"object", "BaseModel", "TypedDict", "NamedTuple", "Generic", "Protocol", "Struct"}
)
_ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"})
_ENUM_KINDS = {"IntEnum": Kind.INT, "IntFlag": Kind.INT, "StrEnum": Kind.STR}
# Annotations in a class body that declare no attribute of an instance.
_NOT_ATTRIBUTES = frozenset({"ClassVar", "InitVar", "KW_ONLY"})
_PROPERTY_DECORATORS = frozenset({"property", "cached_property", "computed_field"})


class TypeResolutionError(ConfigError):
    """A type expression names something that cannot be found; the caller says where it was."""


@dataclass
class _Module:
    """One parsed source file and the names it binds at top level."""

    name: str
    path: Path
    lines: list[bytes]
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    aliases: dict[str, ast.expr] = field(default_factory=dict)


@dataclass(frozen=True)
class _Resolved:
    type: TypeInfo
    is_optional: bool = False


class TypeResolver:
    """Resolves type expressions against the Python source found on `source_roots`."""

    def __init__(
        self,
        source_roots: Sequence[Path],
        modules: Sequence[str] = (),
        allow_import: bool = False,
    ) -> None:
        self.source_roots = tuple(source_roots)
        self.modules = tuple(modules)
        self.allow_import = allow_import
        self._parsed: dict[str, _Module | None] = {}
        self._classes: dict[tuple[str, str], TypeInfo] = {}
        self._expanding: set[tuple[str, str]] = set()

    def resolve(self, expression: str) -> TypeInfo:
        """The type `expression` denotes; raises TypeResolutionError when it names nothing."""
        return self._resolve_top(expression).type

    def resolve_field(self, name: str, expression: str, doc: str = "") -> FieldInfo:
        """A named variable of type `expression` (`X | None` makes it optional)."""
        resolved = self._resolve_top(expression)
        return FieldInfo(name, resolved.type, doc or resolved.type.doc, resolved.is_optional)

    def contract(self, name: str, expression: str) -> Contract:
        """The contract whose variables are the fields of the class `expression` names."""
        resolved = self.resolve(expression)
        if resolved.kind is not Kind.OBJECT:
            raise TypeResolutionError(
                f"contract type {expression!r} must be a class with fields "
                f"(a dataclass, TypedDict or pydantic model), not {resolved.name}"
            )
        return Contract(name, dict(resolved.fields))

    def _resolve_top(self, expression: str) -> _Resolved:
        references: dict[str, tuple[str, str]] = {}

        def replace(match: re.Match[str]) -> str:
            key = f"{_REFERENCE_PREFIX}{len(references)}"
            references[key] = (match.group(1), match.group(2))
            return key

        text = _REFERENCE.sub(replace, expression.strip())
        try:
            node = ast.parse(text, mode="eval").body
            return _Evaluator(self, None, references).evaluate(node)
        except SyntaxError as error:
            raise TypeResolutionError(
                f"invalid type expression {expression!r}: {error.msg}"
            ) from None
        except (RecursionError, MemoryError):
            raise TypeResolutionError(
                f"type expression {expression[:40]!r}… is nested too deeply"
            ) from None

    def lookup_reference(self, module_name: str, qualname: str) -> TypeInfo:
        """The class `qualname` in `module_name`, read statically (or imported if allowed)."""
        module = self.load_module(module_name)
        if module is not None:
            found = self.lookup_in_module(module, qualname)
            if found is not None:
                return found.type
        if self.allow_import:
            return import_type(module_name, qualname, self.source_roots)
        if module is None:
            roots = ", ".join(str(root) for root in self.source_roots) or "(none)"
            raise TypeResolutionError(
                f"module {module_name!r} not found under the source roots {roots} "
                "(set [tool.prompt-tool.contracts] source_roots, or import = true)"
            )
        raise TypeResolutionError(f"module {module_name!r} ({module.path}) defines no {qualname!r}")

    def lookup_bare(self, name: str) -> _Resolved | None:
        """A bare name from the configured modules, in their order."""
        for module_name in self.modules:
            module = self.load_module(module_name)
            if module is None:
                continue
            found = self.lookup_in_module(module, name)
            if found is not None:
                return found
        return None

    def load_module(self, name: str) -> _Module | None:
        """The parsed module `name` from the first source root that has it, cached per run."""
        if name in self._parsed:
            return self._parsed[name]
        module = None
        path = self._find_module(name)
        if path is not None:
            module = _parse_module(name, path)
        self._parsed[name] = module
        return module

    def _find_module(self, name: str) -> Path | None:
        parts = name.split(".")
        for root in self.source_roots:
            base = root.joinpath(*parts)
            for candidate in (base.with_suffix(".py"), base / "__init__.py"):
                if candidate.is_file():
                    return candidate
        return None

    def lookup_in_module(self, module: _Module, dotted: str) -> _Resolved | None:
        """`dotted` as module `module` binds it; None when it binds nothing of that name."""
        head, _, rest = dotted.partition(".")
        if head in module.classes:
            classdef = module.classes[head]
            for part in rest.split(".") if rest else ():
                nested = _nested_class(classdef, part)
                if nested is None:
                    return None
                classdef = nested
            return _Resolved(self.class_type(module, classdef, dotted))
        if head in module.aliases and not rest:
            return self._alias(module, head)
        if head in module.imports:
            target_module, target_name = module.imports[head]
            if target_name is None:
                return self._from_module(target_module, rest) if rest else None
            qualified = f"{target_name}.{rest}" if rest else target_name
            return self._from_module(target_module, qualified)
        return None

    def _from_module(self, module_name: str, name: str) -> _Resolved | None:
        module = self.load_module(module_name)
        if module is not None:
            return self.lookup_in_module(module, name)
        if module_name in _TYPING_MODULES:
            return None
        return _Resolved(TypeInfo(Kind.ANY, name.rsplit(".", 1)[-1]))

    def _alias(self, module: _Module, name: str) -> _Resolved:
        key = (module.name, f"alias:{name}")
        if key in self._expanding:
            return _Resolved(TypeInfo(Kind.ANY, name))
        self._expanding.add(key)
        try:
            return _Evaluator(self, module, {}).evaluate(module.aliases[name])
        finally:
            self._expanding.discard(key)

    def class_type(self, module: _Module, classdef: ast.ClassDef, qualname: str) -> TypeInfo:
        """The TypeInfo of a class, built once; recursive references share the same object."""
        key = (module.name, qualname)
        if key in self._classes:
            return self._classes[key]
        info = TypeInfo(
            Kind.OBJECT, classdef.name, doc=_first_paragraph(ast.get_docstring(classdef))
        )
        self._classes[key] = info
        evaluator = _Evaluator(self, module, {})
        is_open = False
        total = _keyword_bool(classdef, "total", default=True)
        for base in classdef.bases:
            base_name = _dotted(base.value if isinstance(base, ast.Subscript) else base)
            last = base_name.rsplit(".", 1)[-1] if base_name else ""
            if last in _ENUM_BASES:
                info.kind = _ENUM_KINDS.get(last, Kind.ANY)
                return info
            if last in _RECORD_BASES:
                continue
            base_type = evaluator.evaluate(base).type
            if base_type.kind is Kind.OBJECT:
                info.fields.update(base_type.fields)
            else:
                is_open = True
        info.fields.update(_class_fields(evaluator, module, classdef, total))
        if is_open:
            info.kind = Kind.ANY
        return info


class _Evaluator:
    """Evaluates one annotation in the scope of one module (or of the config: module None)."""

    def __init__(
        self,
        resolver: TypeResolver,
        module: _Module | None,
        references: dict[str, tuple[str, str]],
    ) -> None:
        self.resolver = resolver
        self.module = module
        self.references = references

    def evaluate(self, node: ast.expr) -> _Resolved:
        if isinstance(node, ast.Constant):
            if node.value is None:
                return _Resolved(NONE, True)
            if isinstance(node.value, str):
                return self._forward_reference(node.value)
            return _Resolved(ANY)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return _union([self.evaluate(node.left), self.evaluate(node.right)])
        if isinstance(node, ast.Subscript):
            return self._subscript(node)
        dotted = _dotted(node)
        if dotted is None:
            return self._unknown(ast.unparse(node))
        return self._name(dotted)

    def _forward_reference(self, text: str) -> _Resolved:
        try:
            parsed = ast.parse(text.strip(), mode="eval").body
        except SyntaxError:
            return self._unknown(text)
        return self.evaluate(parsed)

    def _name(self, dotted: str) -> _Resolved:
        if dotted in self.references:
            return _Resolved(self.resolver.lookup_reference(*self.references[dotted]))
        if self.module is not None:
            found = self.resolver.lookup_in_module(self.module, dotted)
            if found is not None:
                return found
            original = self._imported_name(dotted)
        else:
            found = self.resolver.lookup_bare(dotted)
            if found is not None:
                return found
            original = dotted
        last = original.rsplit(".", 1)[-1]
        if last in _SCALARS:
            scalar = _SCALARS[last]
            return _Resolved(scalar, scalar is NONE)
        if last in _SEQUENCES:
            return _Resolved(TypeInfo(Kind.LIST, last, element=ANY))
        if last in _MAPPINGS:
            return _Resolved(TypeInfo(Kind.DICT, last, element=ANY))
        return self._unknown(dotted)

    def _imported_name(self, dotted: str) -> str:
        """The name `dotted` had where it was imported from (`from typing import List as L`)."""
        assert self.module is not None
        head, _, rest = dotted.partition(".")
        target = self.module.imports.get(head)
        if target is None:
            return dotted
        module_name, name = target
        base = name if name is not None else module_name
        return f"{base}.{rest}" if rest else base

    def _unknown(self, text: str) -> _Resolved:
        if self.module is None:
            searched = ", ".join(self.resolver.modules) or "none configured"
            raise TypeResolutionError(
                f"unknown type {text!r}: not a builtin type, and not defined in the configured "
                f"modules ({searched}); name it as package.module:{text}"
            )
        return _Resolved(TypeInfo(Kind.ANY, text))

    def _subscript(self, node: ast.Subscript) -> _Resolved:
        head = _dotted(node.value)
        if head is None:
            return self._unknown(ast.unparse(node))
        last = self._imported_name(head).rsplit(".", 1)[-1] if self.module else head
        last = last.rsplit(".", 1)[-1]
        args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
        if last == "Optional":
            inner = self.evaluate(args[0])
            return _Resolved(inner.type, True)
        if last == "Union":
            return _union([self.evaluate(arg) for arg in args])
        if last == "NotRequired":
            return _Resolved(self.evaluate(args[0]).type, True)
        if last in _WRAPPERS:
            return self.evaluate(args[0])
        if last == "Literal":
            return _literal(args)
        if last in _SEQUENCES:
            elements = [arg for arg in args if not _is_ellipsis(arg)]
            element = _union([self.evaluate(arg) for arg in elements]).type if elements else ANY
            return _Resolved(TypeInfo(Kind.LIST, f"{last}[{element.name}]", element=element))
        if last in _MAPPINGS:
            value = self.evaluate(args[-1]).type if len(args) == 2 else ANY
            key = self.evaluate(args[0]).type.name if len(args) == 2 else "Any"
            return _Resolved(TypeInfo(Kind.DICT, f"{last}[{key}, {value.name}]", element=value))
        return self.evaluate(node.value)


def _union(members: list[_Resolved]) -> _Resolved:
    is_optional = any(member.is_optional or member.type is NONE for member in members)
    types = [member.type for member in members if member.type is not NONE]
    if not types:
        return _Resolved(NONE, True)
    first = types[0]
    if all(item is first for item in types):
        return _Resolved(first, is_optional)
    kinds = {item.kind for item in types}
    name = " | ".join(item.name for item in types)
    kind = kinds.pop() if len(kinds) == 1 and first.kind not in {Kind.OBJECT} else Kind.ANY
    if kind in {Kind.LIST, Kind.DICT}:
        kind = Kind.ANY
    return _Resolved(TypeInfo(kind, name), is_optional)


def _literal(args: list[ast.expr]) -> _Resolved:
    values = [arg.value for arg in args if isinstance(arg, ast.Constant)]
    if values and all(isinstance(value, str) for value in values):
        return _Resolved(TypeInfo(Kind.STR, "Literal[" + ", ".join(map(repr, values)) + "]"))
    if values and all(isinstance(value, bool) for value in values):
        return _Resolved(BOOL)
    if values and all(isinstance(value, int) for value in values):
        return _Resolved(INT)
    return _Resolved(ANY)


def _is_ellipsis(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _parse_module(name: str, path: Path) -> _Module | None:
    try:
        data = path.read_bytes()
        tree = ast.parse(data, filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return None
    module = _Module(name, path, data.splitlines())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for stmt in tree.body:
        _bind(module, stmt, package)
    return module


def _bind(module: _Module, stmt: ast.stmt, package: str) -> None:
    if isinstance(stmt, ast.ClassDef):
        module.classes[stmt.name] = stmt
    elif isinstance(stmt, ast.ImportFrom):
        source = _absolute_module(stmt.module or "", stmt.level, package)
        for alias in stmt.names:
            module.imports[alias.asname or alias.name] = (source, alias.name)
    elif isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                module.imports[alias.asname] = (alias.name, None)
            else:
                head = alias.name.split(".")[0]
                module.imports[head] = (head, None)
    elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        if _dotted(stmt.annotation) in {"TypeAlias", "typing.TypeAlias"} and stmt.value:
            module.aliases[stmt.target.id] = stmt.value
    elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        if isinstance(target, ast.Name) and _looks_like_type(stmt.value):
            module.aliases[target.id] = stmt.value
    elif isinstance(stmt, ast.If):
        for inner in stmt.body:
            _bind(module, inner, package)


def _looks_like_type(node: ast.expr) -> bool:
    if isinstance(node, ast.Subscript):
        return True
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, ast.BitOr)
    return False


def _absolute_module(name: str, level: int, package: str) -> str:
    if level == 0:
        return name
    parts = package.split(".") if package else []
    base = parts[: len(parts) - (level - 1)] if level > 1 else parts
    return ".".join([*base, name] if name else base)


def _nested_class(classdef: ast.ClassDef, name: str) -> ast.ClassDef | None:
    for stmt in classdef.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == name:
            return stmt
    return None


def _keyword_bool(classdef: ast.ClassDef, name: str, default: bool) -> bool:
    for keyword in classdef.keywords:
        if keyword.arg == name and isinstance(keyword.value, ast.Constant):
            return bool(keyword.value.value)
    return default


def _class_fields(
    evaluator: _Evaluator, module: _Module, classdef: ast.ClassDef, total: bool
) -> dict[str, FieldInfo]:
    fields: dict[str, FieldInfo] = {}
    body = classdef.body
    for index, stmt in enumerate(body):
        following = body[index + 1] if index + 1 < len(body) else None
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            if _declares_no_attribute(stmt.annotation):
                continue
            resolved = evaluator.evaluate(stmt.annotation)
            doc = (
                _doc_from_value(stmt.value)
                or _following_string(following)
                or _trailing_comment(module, stmt)
                or _leading_comment(module, stmt)
            )
            name = stmt.target.id
            fields[name] = FieldInfo(name, resolved.type, doc, resolved.is_optional or not total)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            member = _member_field(evaluator, stmt)
            if member is not None:
                fields[member.name] = member
    return fields


def _member_field(
    evaluator: _Evaluator, function: ast.FunctionDef | ast.AsyncFunctionDef
) -> FieldInfo | None:
    decorators = {(_dotted(d) or "").rsplit(".", 1)[-1] for d in function.decorator_list}
    doc = _first_paragraph(ast.get_docstring(function))
    if decorators & _PROPERTY_DECORATORS:
        resolved = evaluator.evaluate(function.returns) if function.returns else _Resolved(ANY)
        return FieldInfo(function.name, resolved.type, doc, resolved.is_optional)
    if function.name.startswith("_"):
        return None
    return FieldInfo(function.name, TypeInfo(Kind.ANY, "method"), doc)


def _declares_no_attribute(annotation: ast.expr) -> bool:
    node = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    return (_dotted(node) or "").rsplit(".", 1)[-1] in _NOT_ATTRIBUTES


def _doc_from_value(value: ast.expr | None) -> str:
    """`field(metadata={"doc": ...})` (dataclasses) or `Field(description=...)` (pydantic)."""
    if not isinstance(value, ast.Call):
        return ""
    for keyword in value.keywords:
        if keyword.arg == "description" and isinstance(keyword.value, ast.Constant):
            return _first_paragraph(str(keyword.value.value))
        if keyword.arg == "metadata" and isinstance(keyword.value, ast.Dict):
            for key, item in zip(keyword.value.keys, keyword.value.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "doc"
                    and isinstance(item, ast.Constant)
                ):
                    return _first_paragraph(str(item.value))
    return ""


def _following_string(stmt: ast.stmt | None) -> str:
    if (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    ):
        return _first_paragraph(stmt.value.value)
    return ""


def _trailing_comment(module: _Module, stmt: ast.stmt) -> str:
    end_line = stmt.end_lineno or stmt.lineno
    if end_line > len(module.lines) or stmt.end_col_offset is None:
        return ""
    rest = module.lines[end_line - 1][stmt.end_col_offset :].decode("utf-8", "replace").strip()
    if not rest.startswith("#"):
        return ""
    return rest.lstrip("#:").strip()


def _leading_comment(module: _Module, stmt: ast.stmt) -> str:
    """Sphinx-style `#:` comment lines directly above the field."""
    collected: list[str] = []
    line = stmt.lineno - 2
    while line >= 0:
        text = module.lines[line].decode("utf-8", "replace").strip()
        if not text.startswith("#:"):
            break
        collected.insert(0, text[2:].strip())
        line -= 1
    return " ".join(collected)


def _first_paragraph(text: str | None) -> str:
    if not text:
        return ""
    paragraph = inspect.cleandoc(text).split("\n\n", 1)[0]
    return " ".join(paragraph.split())


def import_type(module_name: str, qualname: str, source_roots: Sequence[Path]) -> TypeInfo:
    """Import `module_name` (source roots first on `sys.path`) and read `qualname`'s type.

    Only with `[tool.prompt-tool.contracts] import = true`: it runs the project's code,
    which the static reader never does. `sys.path` is restored afterwards.
    """
    import importlib

    from prompt_tool.analysis.introspect import type_from_python
    from prompt_tool.checking.environment import source_roots_on_path

    try:
        with source_roots_on_path(source_roots):
            target: object = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except Exception as error:
        raise TypeResolutionError(
            f"cannot import {module_name}:{qualname}: {type(error).__name__}: {error}"
        ) from None
    return type_from_python(target)
