"""Eight real processes create sessions for the same units at once on PostgreSQL: every unit
ends with one stored assignment, and every session of a unit runs that one variant."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select

from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.db.models import ExperimentAssignment, ExperimentVariant
from tests.ab_testing.conftest import Strategies, create_experiment

WORKERS = 8
FEATURES = [f"feature {n}" for n in range(16)]
WORKER_SCRIPT = Path(__file__).with_name("session_worker.py")


@pytest.mark.parametrize(
    "backend",
    [pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)
def test_concurrent_sessions_never_give_a_unit_two_variants(
    strategies: Strategies, db_manager: DatabaseManager
) -> None:
    create_experiment(db_manager)
    processes = []
    for worker in range(WORKERS):
        order = FEATURES[:]
        random.Random(worker).shuffle(order)
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    str(WORKER_SCRIPT),
                    db_manager.url,
                    str(worker),
                    json.dumps(order),
                    "5" if worker == 0 else "-1",
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = [process.communicate(timeout=300) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    assert [process.returncode for process in processes] == [0] * WORKERS, [e for _o, e in outputs]
    lines = [json.loads(line) for out, _err in outputs for line in out.splitlines() if line]
    assert len(lines) == WORKERS * len(FEATURES)

    variants_of_unit: dict[str, set[str]] = defaultdict(set)
    for line in lines:
        variants_of_unit[line["unit_key"]].add(line["variant"])
    assert all(len(variants) == 1 for variants in variants_of_unit.values()), variants_of_unit
    with db_manager.session() as session:
        stored = {
            unit: variant
            for unit, variant in session.execute(
                select(ExperimentAssignment.unit_key, ExperimentVariant.name).join(
                    ExperimentVariant, ExperimentAssignment.variant_id == ExperimentVariant.id
                )
            )
        }
    assert len(stored) == len(FEATURES)
    assert {unit: variants.pop() for unit, variants in variants_of_unit.items()} == stored
