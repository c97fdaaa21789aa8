"""`make run`'s demo, run as `make run` runs it: every step exits 0 and it ends in a session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prompt_tool.core.config import DATABASE_URL_ENV


def test_the_demo_ends_with_an_advanced_orchestration_session(tmp_path: Path) -> None:
    environ = {key: value for key, value in os.environ.items() if key != DATABASE_URL_ENV}
    environ["PROMPT_TOOL_DEMO_DIR"] = str(tmp_path / "demo")
    completed = subprocess.run(
        [sys.executable, "-m", "prompt_tool.demo"],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    shown = completed.stdout.rsplit("$ prompt-tool orchestrate show 1", 1)[1]
    assert "Checkout crashes on an empty basket" in shown
    assert "active, phase analysis" in shown
    assert "Analyse the bug Checkout crashes on an empty basket in webshop." in shown
    assert "orchestrator: exit 0 (supplied)" in shown
    assert "Never touch the payment provider's sandbox keys." in shown
    preview = completed.stdout.rsplit("$ prompt-tool templates render", 1)[1]
    assert "webshop-templates-next/analysis.j2 --session 1\n" in preview
    assert "Analyse the bug Checkout crashes on an empty basket in webshop." in preview
    assert "Session 1." in preview
    assert "characters, ~" in completed.stderr and "as analysis with session 1" in completed.stderr
    report = completed.stdout.rsplit("$ prompt-tool experiments report bug-analysis-v2", 1)[1]
    assert "success rate with 95% interval, 0% to 100%:" in report
    assert "\nverdict: B: " in report
    assert "analysis: production of orchestration_analysis_default moved to v2" in report
