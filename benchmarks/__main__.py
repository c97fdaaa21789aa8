"""`python -m benchmarks [NAME...]`: run every `*_bench.py` module's `main()` (or the named ones)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    names = argv or sorted(path.stem for path in Path(__file__).parent.glob("*_bench.py"))
    for name in names:
        importlib.import_module(f"benchmarks.{name.removesuffix('.py')}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
