"""Estimated token counts for a rendered prompt, behind a small interface a project can swap.

Exact counts need a model's tokenizer (a download, and one per model), so the default is a
documented heuristic that needs nothing: text is cut into runs of letters, of digits, single
other symbols and whitespace; a letter run costs one token per started four characters, a digit
run one per started three, every other symbol one, whitespace nothing (BPE vocabularies fold a
space into the word after it). It is an estimate, close to what BPE tokenizers give for
English prose and Markdown and further off for other scripts; it never reads the network.
Exact counts come from plugging in a model's own tokenizer as a `TokenCounter`.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Protocol

from prompt_tool.core.errors import ConfigError

_LETTERS = re.compile(r"[^\W\d_]+")
_DIGITS = re.compile(r"\d+")
_SYMBOLS = re.compile(r"[^\w\s]|_")


class TokenCounter(Protocol):
    """Anything that estimates how many tokens a text costs."""

    name: str

    def __call__(self, text: str) -> int: ...


class HeuristicTokenCounter:
    """The default: the rule in the module doc; cheap and dependency-free.

    No run crosses a line break (it is whitespace), so the count of a text is the sum of
    its lines' counts; each line's count is kept, because a preview after an edit shows
    almost the same lines again (and a long prompt repeats many), which saves the regex
    passes over the whole text on every keystroke.
    """

    name = "heuristic (letters/4, digits/3, 1 per symbol)"
    capacity = 50_000

    def __init__(self) -> None:
        self._lines: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        known = self._lines
        total = 0
        for line in text.split("\n"):
            count = known.get(line)
            if count is None:
                if len(known) >= self.capacity:
                    known.clear()
                count = known[line] = count_tokens(line)
            total += count
        return total


def count_tokens(text: str) -> int:
    """The heuristic's count of `text`, in three regex passes."""
    letters = sum((len(run) + 3) // 4 for run in _LETTERS.findall(text))
    digits = sum((len(run) + 2) // 3 for run in _DIGITS.findall(text))
    return letters + digits + len(_SYMBOLS.findall(text))


class CallableTokenCounter:
    """A plugged-in counter (a function or an object with `__call__(text) -> int`), named
    for the output; a counter that fails or answers no count is one configuration error."""

    def __init__(self, name: str, count: object) -> None:
        if not callable(count):
            raise TypeError(f"{name} is not callable")
        self.name = name
        self._count = count

    def __call__(self, text: str) -> int:
        try:
            counted = self._count(text)
        except Exception as error:
            raise ConfigError(
                f"token counter {self.name!r} failed: {type(error).__name__}: {error}"
            ) from None
        if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
            raise ConfigError(
                f"token counter {self.name!r} answered {counted!r}, not a count of tokens"
            )
        return counted


DEFAULT_COUNTER = HeuristicTokenCounter()
DEFAULT_COUNTER_NAME = "heuristic"
ENTRY_POINT_GROUP = "prompt_tool.token_counters"
"""Installed packages offer counters under this entry point group (`name = "module:object"`,
the object a counter or a class making one); `[tool.prompt-tool.preview] token_counter` or
`templates render --token-counter` picks one by name. Installed code only: a setting in a
repository never makes the tool import that repository's modules."""


def installed_counter_names() -> list[str]:
    """The counter names to choose from: the built-in heuristic and the installed plugins."""
    from importlib.metadata import entry_points

    return [
        DEFAULT_COUNTER_NAME,
        *sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}),
    ]


@cache
def load_token_counter(name: str) -> TokenCounter:
    """The counter called `name`; an unknown or broken one is one line naming it."""
    from importlib.metadata import entry_points

    if name == DEFAULT_COUNTER_NAME:
        return DEFAULT_COUNTER
    found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    if not found:
        raise ConfigError(
            f"token counter {name!r} is not installed (installed: "
            f"{', '.join(installed_counter_names())}); a package offers one under the "
            f"{ENTRY_POINT_GROUP!r} entry point group"
        )
    try:
        loaded = found[0].load()
        made = loaded() if isinstance(loaded, type) else loaded
        return CallableTokenCounter(str(getattr(made, "name", name)), made)
    except Exception as error:
        raise ConfigError(
            f"token counter {name!r} ({found[0].value}) cannot be loaded: "
            f"{type(error).__name__}: {error}"
        ) from None
