"""One process of the concurrency test: creates sessions for the given features when told to.

Run as `python session_worker.py URL WORKER FEATURES_JSON FLIP_AFTER`. It connects first,
prints `ready`, waits for a line on stdin so that all workers start together, then
creates one session per feature (in its own transaction) and prints one JSON line per
session. With FLIP_AFTER >= 0 it moves the whole weight to variant B after that many
sessions, so that workers racing on a new unit would disagree were it not for the stored
assignment.
"""

from __future__ import annotations

import json
import sys

from prompt_tool.ab_testing.experiment_manager import ExperimentManager
from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.orchestration.orchestrator import Orchestrator


def main() -> None:
    url, worker, features, flip_after = (
        sys.argv[1],
        int(sys.argv[2]),
        json.loads(sys.argv[3]),
        int(sys.argv[4]),
    )
    db = DatabaseManager(url)
    db.check_schema()
    print("ready", flush=True)
    sys.stdin.readline()
    for index, feature in enumerate(features):
        with db.session() as session:
            row = Orchestrator(session).create_planning_session("webshop", feature)
            [record] = row.variant_assignments.values()
            line = {"worker": worker, "session": row.id, "feature": feature, **record}
        print(json.dumps(line), flush=True)
        if index == flip_after:
            with db.session() as session:
                manager = ExperimentManager(session)
                manager.set_weight("deep-analysis", "B", 1)
                manager.set_weight("deep-analysis", "control", 0)
    db.dispose()


if __name__ == "__main__":
    main()
