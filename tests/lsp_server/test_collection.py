"""Full garbage collections wait for the server to be idle."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import pytest

from lsp_server import collection


@pytest.fixture
def generations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The generation of every collection that runs; the GC state is restored after."""
    thresholds = gc.get_threshold()
    monkeypatch.setattr(collection, "IDLE_SECONDS", 0.01)
    seen: list[int] = []

    def record(phase: str, info: dict[str, Any]) -> None:
        if phase == "stop":
            seen.append(info["generation"])

    gc.callbacks.append(record)
    try:
        yield seen
    finally:
        gc.callbacks.remove(record)
        gc.set_threshold(*thresholds)
        gc.unfreeze()


async def test_a_full_collection_runs_only_once_the_server_is_idle(generations: list[int]):
    collection.defer_full_collections()
    assert gc.get_threshold()[2] > 10**6
    generations.clear()
    collector = collection.IdleCollector()

    collector.idle()
    collector.busy()  # new work arrives before the idle delay ends
    garbage = [[] for _ in range(100_000)]  # enough allocations for young collections
    del garbage
    await asyncio.sleep(0.05)
    assert 2 not in generations

    collector.idle()
    await asyncio.sleep(0.05)
    assert 2 in generations


async def test_without_deferral_the_collector_leaves_collection_to_python(
    generations: list[int],
):
    collection.IdleCollector().idle()
    await asyncio.sleep(0.05)
    assert 2 not in generations
