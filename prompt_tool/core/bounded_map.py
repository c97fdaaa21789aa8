"""A small thread-safe map with a capacity: the preview's caches (chunks, lexed texts,
engines) are shared by renders on worker threads and must not grow without end."""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


class BoundedMap(Generic[Key, Value]):
    """A thread-safe map that forgets its oldest entries beyond `capacity` (previews render
    on worker threads). Reads take no lock: a render looks up every chunk of its template."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: dict[Key, Value] = {}
        self._lock = threading.Lock()

    def get(self, key: Key) -> Value | None:
        return self._items.get(key)

    def __len__(self) -> int:
        return len(self._items)

    def values(self) -> list[Value]:
        return list(self._items.values())

    def put(self, key: Key, value: Value) -> None:
        with self._lock:
            self._items.pop(key, None)
            self._items[key] = value
            while len(self._items) > self.capacity:
                del self._items[next(iter(self._items))]
