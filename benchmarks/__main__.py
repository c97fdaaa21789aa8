"""Run every benchmark module's `main()`; `--append` records the results in RESULTS.md."""

from __future__ import annotations

import sys

from benchmarks import analysis_bench

BENCHES = (analysis_bench,)


def main(argv: list[str]) -> int:
    for bench in BENCHES:
        bench.main(argv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
