"""Layers import downward only, read from the source's import statements (DESIGN.md).

Every first-party module is given its layer; an import of a module in a higher layer fails,
whether it sits at the top of the file, inside a function or under `TYPE_CHECKING`, so a
cycle between layers (analysis ↔ orchestration, commands ↔ cli) cannot come back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS: dict[str, int] = {
    "prompt_tool.core": 0,
    "prompt_tool.db": 0,
    "prompt_tool.defaults": 0,
    "prompt_tool.analysis": 1,
    "prompt_tool.ab_testing": 2,
    "prompt_tool.orchestration": 3,
    "prompt_tool.checking": 4,
    "prompt_tool.commands": 5,
    "lsp_server": 5,
    "prompt_tool.cli": 6,
    "prompt_tool.demo": 7,
    "prompt_tool.__main__": 7,
}
"""`cli.py` sits one above the command modules it mounts, so commands never import it."""
PACKAGE_ROOTS = ("prompt_tool", "lsp_server")


def layer_of(module: str) -> int | None:
    """The layer of the longest matching prefix; None for the `prompt_tool` package itself."""
    found: tuple[int, int] | None = None
    for prefix, layer in LAYERS.items():
        if (module == prefix or module.startswith(prefix + ".")) and (
            found is None or len(prefix) > found[0]
        ):
            found = (len(prefix), layer)
    return found[1] if found else None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str) -> set[str]:
    """Every module `path` imports, relative imports made absolute."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


MODULES = sorted(
    (module_name(path), path) for root in PACKAGE_ROOTS for path in (ROOT / root).rglob("*.py")
)


@pytest.mark.parametrize(
    "module,path",
    # The package root holds only the version; test_every_module_has_a_layer pins that.
    [pytest.param(m, p, id=m) for m, p in MODULES if layer_of(m) is not None],
)
def test_first_party_imports_point_downward(module: str, path: Path) -> None:
    own = layer_of(module)
    assert own is not None
    upward = sorted(
        name
        for name in imports_of(path, module)
        if (layer := layer_of(name)) is not None and layer > own
    )
    assert upward == [], f"{module} (layer {own}) imports from higher layers"


def test_every_module_has_a_layer() -> None:
    unplaced = [module for module, _ in MODULES if layer_of(module) is None]
    assert unplaced == ["prompt_tool"]


def test_the_analyser_reads_no_configuration() -> None:
    """Configuration, discovery and `sys.path` belong to `prompt_tool.checking`."""
    offending = {
        module: sorted(
            name
            for name in imports_of(path, module)
            if name.startswith(("prompt_tool.core.config", "prompt_tool.checking"))
        )
        for module, path in MODULES
        if module.startswith("prompt_tool.analysis")
    }
    assert {module: names for module, names in offending.items() if names} == {}
    touching_sys_path = [
        module
        for module, path in MODULES
        if module.startswith("prompt_tool.analysis") and "sys.path" in path.read_text()
    ]
    assert touching_sys_path == []


@pytest.mark.parametrize(
    "lower,upper",
    [
        pytest.param(
            "prompt_tool.analysis", "prompt_tool.orchestration", id="analysis-orchestration"
        ),
        pytest.param("prompt_tool.commands", "prompt_tool.cli", id="commands-cli"),
        pytest.param(
            "prompt_tool.orchestration", "prompt_tool.checking", id="orchestration-checking"
        ),
    ],
)
def test_no_cycle_between(lower: str, upper: str) -> None:
    reaching_up = [
        module
        for module, path in MODULES
        if module.startswith(lower)
        and any(name == upper or name.startswith(upper + ".") for name in imports_of(path, module))
    ]
    assert reaching_up == []
