"""The static type of a Jinja expression, as far as the contract lets us know it."""

from __future__ import annotations

from collections.abc import Callable

from jinja2 import nodes

from prompt_tool.analysis.typeinfo import ANY, FieldInfo, Kind, TypeInfo

Lookup = Callable[[str], TypeInfo | None]

STR = TypeInfo(Kind.STR, "str")
INT = TypeInfo(Kind.INT, "int")
FLOAT = TypeInfo(Kind.FLOAT, "float")
BOOL = TypeInfo(Kind.BOOL, "bool")
LIST_ANY = TypeInfo(Kind.LIST, "list", element=ANY)
DICT_ANY = TypeInfo(Kind.DICT, "dict", element=ANY)
_PYTHON_TYPES: dict[Kind, type] = {
    Kind.STR: str,
    Kind.INT: int,
    Kind.FLOAT: float,
    Kind.BOOL: bool,
    Kind.LIST: list,
}
_SAME_LIST = frozenset(
    {"list", "sort", "reverse", "unique", "selectattr", "rejectattr", "select", "reject"}
)
_ELEMENT = frozenset({"first", "last", "random", "min", "max"})
_TO_INT = frozenset({"length", "count", "wordcount", "int", "sum"})
_TO_STR = frozenset(
    {
        "upper",
        "lower",
        "title",
        "capitalize",
        "trim",
        "join",
        "replace",
        "format",
        "striptags",
        "indent",
        "truncate",
        "center",
        "string",
        "escape",
        "e",
        "urlencode",
        "wordwrap",
        "safe",
        "indent_block",
        "bullet_list",
        "numbered_list",
        "truncate_words",
        "to_json",
        "tojson",
        "code_block",
        "filesizeformat",
        "pprint",
        "urlize",
        "xmlattr",
    }
)


def _loop_type() -> TypeInfo:
    info = TypeInfo(Kind.OBJECT, "LoopContext", doc="The state of the innermost `for` loop.")
    fields = {
        "index": (INT, "Current iteration, counting from 1."),
        "index0": (INT, "Current iteration, counting from 0."),
        "revindex": (INT, "Iterations left, counting down to 1."),
        "revindex0": (INT, "Iterations left, counting down to 0."),
        "first": (BOOL, "True on the first iteration."),
        "last": (BOOL, "True on the last iteration."),
        "length": (INT, "Number of items."),
        "depth": (INT, "Recursion depth of a recursive loop, from 1."),
        "depth0": (INT, "Recursion depth of a recursive loop, from 0."),
        "previtem": (ANY, "The item of the previous iteration."),
        "nextitem": (ANY, "The item of the next iteration."),
        "cycle": (ANY, "Cycles through its arguments: loop.cycle('odd', 'even')."),
        "changed": (ANY, "True when called with a value different from the last call."),
    }
    for name, (kind, doc) in fields.items():
        info.fields[name] = FieldInfo(name, kind, doc)
    return info


LOOP = _loop_type()


def list_of(element: TypeInfo) -> TypeInfo:
    return TypeInfo(Kind.LIST, f"list[{element.name}]", element=element)


def element_type(container: TypeInfo) -> TypeInfo:
    """What iterating over a value of `container` yields."""
    if container.kind == Kind.LIST and container.element is not None:
        return container.element
    if container.kind == Kind.STR:
        return STR
    return ANY


def has_attribute(owner: TypeInfo, attribute: str) -> bool | None:
    """Whether `owner.attribute` exists; None when the type cannot tell (Any, dict)."""
    if owner.kind == Kind.OBJECT:
        is_dict_method = owner.is_mapping and _is_public(dict, attribute)
        return attribute in owner.fields or is_dict_method
    python_type = _PYTHON_TYPES.get(owner.kind)
    if python_type is None:
        return None
    return _is_public(python_type, attribute)


def _is_public(python_type: type, attribute: str) -> bool:
    return not attribute.startswith("_") and hasattr(python_type, attribute)


def attribute_names(owner: TypeInfo) -> list[str]:
    """The attributes a value of `owner` is known to have (for suggestions)."""
    if owner.kind == Kind.OBJECT:
        return list(owner.fields)
    python_type = _PYTHON_TYPES.get(owner.kind)
    if python_type is None:
        return []
    return [name for name in dir(python_type) if not name.startswith("_")]


def attribute_type(owner: TypeInfo, attribute: str) -> TypeInfo:
    if owner.kind == Kind.OBJECT and attribute in owner.fields:
        return owner.fields[attribute].type
    if owner.kind == Kind.DICT and owner.element is not None:
        return owner.element
    return ANY


class TypeOf:
    """Evaluates expression types against a name lookup."""

    def __init__(self, lookup: Lookup) -> None:
        self.lookup = lookup

    def __call__(self, node: nodes.Node | None) -> TypeInfo:
        if node is None:
            return ANY
        method = getattr(self, f"_{type(node).__name__}", None)
        return method(node) if method is not None else ANY

    def _Name(self, node: nodes.Name) -> TypeInfo:
        return self.lookup(node.name) or ANY

    def _Getattr(self, node: nodes.Getattr) -> TypeInfo:
        return attribute_type(self(node.node), node.attr)

    def _Getitem(self, node: nodes.Getitem) -> TypeInfo:
        owner = self(node.node)
        key = node.arg
        if owner.kind == Kind.LIST and isinstance(key, nodes.Const) and isinstance(key.value, int):
            return element_type(owner)
        if owner.kind == Kind.LIST and isinstance(key, nodes.Slice):
            return owner
        if isinstance(key, nodes.Const) and isinstance(key.value, str):
            return attribute_type(owner, key.value)
        return owner.element or ANY if owner.kind == Kind.DICT else ANY

    def _Const(self, node: nodes.Const) -> TypeInfo:
        value = node.value
        if isinstance(value, bool):
            return BOOL
        if isinstance(value, str):
            return STR
        if isinstance(value, int):
            return INT
        if isinstance(value, float):
            return FLOAT
        return ANY

    def _List(self, node: nodes.List) -> TypeInfo:
        return list_of(self(node.items[0])) if node.items else LIST_ANY

    def _Tuple(self, node: nodes.Tuple) -> TypeInfo:
        return self._List(node)  # type: ignore[arg-type]

    def _Dict(self, node: nodes.Dict) -> TypeInfo:
        return DICT_ANY

    def _Concat(self, node: nodes.Concat) -> TypeInfo:
        return STR

    def _CondExpr(self, node: nodes.CondExpr) -> TypeInfo:
        first, second = self(node.expr1), self(node.expr2) if node.expr2 else ANY
        return first if first is second else ANY

    def _Filter(self, node: nodes.Filter) -> TypeInfo:
        name = node.name
        if name in ("default", "d"):
            return self(node.node)
        if name in _SAME_LIST:
            inner = self(node.node)
            return inner if inner.kind == Kind.LIST else LIST_ANY
        if name in _ELEMENT:
            return element_type(self(node.node))
        if name in _TO_INT:
            return INT
        if name == "float":
            return FLOAT
        if name in _TO_STR:
            return STR
        if name in ("items", "dictsort", "batch", "slice", "map", "groupby"):
            return LIST_ANY
        return ANY

    def _Call(self, node: nodes.Call) -> TypeInfo:
        callee = node.node
        if isinstance(callee, nodes.Name) and callee.name == "range":
            return list_of(INT)
        if isinstance(callee, nodes.Name) and callee.name == "dict":
            return DICT_ANY
        if isinstance(callee, nodes.Getattr) and callee.attr in ("items", "keys", "values"):
            return LIST_ANY
        return ANY

    def _Compare(self, node: nodes.Compare) -> TypeInfo:
        return BOOL

    _Test = _Compare
    _And = _Compare
    _Or = _Compare
    _Not = _Compare
