"""Which rules could match a path, found without trying every rule.

Trying each rule's pattern in turn costs a regular expression call per
rule: with a few hundred rules, more than the rest of a request. This index
narrows the candidates first:

* a rule with no placeholder is found by its exact path (a dict);
* a rule with placeholders is filed under its literal leading segments
  (``/shop/items/<int:id>`` under ``shop`` → ``items``), and a path collects
  the rules filed along its own segments.

The candidates are then tried in the rules' matching order, so the result
is the same as trying every rule in order (a test compares the two on
random rules and paths).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import Rule

__all__ = ["RECENT_PATHS", "RuleIndex"]

RECENT_PATHS = 1024
"""How many paths' candidates each index remembers."""


class _Node:
    # A plain class: a dataclass costs its module ~0.4 ms at import.
    __slots__ = ("children", "rules")

    def __init__(self) -> None:
        self.rules: list[tuple[int, Rule]] = []
        self.children: dict[str, _Node] = {}


def _literal_segments(rule: str) -> list[str]:
    """The segments of ``rule`` before the first one with a placeholder."""
    segments = []
    for segment in rule.split("/")[1:]:
        if "<" in segment:
            break
        segments.append(segment)
    return segments


class RuleIndex:
    """The rules of one kind (HTTP or websocket), indexed for matching."""

    def __init__(
        self, rules: Sequence[Rule], plain: Callable[[Rule], bool] = lambda _: False
    ) -> None:
        self._exact: dict[str, list[tuple[int, Rule]]] = {}
        self._root = _Node()
        # The answers for recent paths: an app serves the same paths again
        # and again. Bounded: the oldest answer goes when it is full.
        self._recent: dict[str, list[Rule]] = {}
        for order, rule in enumerate(rules):
            self._add(order, rule)
        self.static: dict[str, Rule] = {}
        """Paths answered by one rule without a regular expression: a rule
        for which ``plain(rule)`` holds (no placeholder, value or redirect
        to compute) that is the first candidate for its own path."""
        for path, entries in self._exact.items():
            rule = entries[0][1]
            if rule.rule == path and plain(rule) and self._collect(path)[0] is rule:
                self.static[path] = rule

    def _add(self, order: int, rule: Rule) -> None:
        entry = (order, rule)
        if "<" not in rule.rule:
            self._exact.setdefault(rule.rule, []).append(entry)
            bare = rule.rule[:-1]  # what a loose rule "/x/" also takes: "/x"
            if not rule.strict_slashes and rule.rule.endswith("/") and bare:
                self._exact.setdefault(bare, []).append(entry)
            return
        node = self._root
        for segment in _literal_segments(rule.rule):
            node = node.children.setdefault(segment, _Node())
        node.rules.append(entry)

    def candidates(self, path: str) -> list[Rule]:
        """The rules that could match ``path``, in matching order."""
        recent = self._recent.get(path)
        if recent is not None:
            return recent
        rules = self._collect(path)
        if len(self._recent) >= RECENT_PATHS:
            del self._recent[next(iter(self._recent))]
        self._recent[path] = rules
        return rules

    def _collect(self, path: str) -> list[Rule]:
        found = list(self._exact.get(path, ()))
        node = self._root
        found.extend(node.rules)
        for segment in path.split("/")[1:]:
            child = node.children.get(segment)
            if child is None:
                break
            node = child
            found.extend(node.rules)
        if len(found) > 1:
            found.sort(key=_order)
        return [rule for _, rule in found]


def _order(entry: tuple[int, Rule]) -> int:
    return entry[0]
