"""CometBFT's event query language, the subset depind serves:
conditions ``key OP value`` joined by ``AND``, where OP is one of
= < <= > >= CONTAINS EXISTS, and values are 'quoted strings' or integers.

    tm.event='Tx' AND transfer.recipient='depin1...' AND tx.height>=5
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MAX_QUERY_LENGTH = 512
MAX_CONDITIONS = 8
_CONDITION = re.compile(
    r"^\s*([A-Za-z0-9_.\-]+)\s*(<=|>=|=|<|>|\s+CONTAINS\s+|\s+EXISTS)\s*('(?:[^']*)'|-?[0-9]+)?\s*$"
)
_OPS = {"=", "<", "<=", ">", ">=", "CONTAINS", "EXISTS"}
# AND outside quoted values: an even number of quotes follows it.
_AND = re.compile(r"\s+AND\s+(?=(?:[^']*'[^']*')*[^']*$)")


class QueryError(ValueError):
    """A query string that is not valid in the query language."""


@dataclass(frozen=True)
class Condition:
    key: str
    op: str
    value: str | int | None

    def matches(self, values: Sequence[str]) -> bool:
        if self.op == "EXISTS":
            return bool(values)
        return any(self._matches_one(v) for v in values)

    def _matches_one(self, actual: str) -> bool:
        if self.op == "=":
            return actual == str(self.value)
        if self.op == "CONTAINS":
            return str(self.value) in actual
        if not isinstance(self.value, int) or not _is_int(actual):
            return False
        number = int(actual)
        return {
            "<": number < self.value,
            "<=": number <= self.value,
            ">": number > self.value,
            ">=": number >= self.value,
        }[self.op]


@dataclass(frozen=True)
class Query:
    text: str
    conditions: tuple[Condition, ...]

    def matches(self, events: Mapping[str, Sequence[str]]) -> bool:
        return all(c.matches(events.get(c.key, ())) for c in self.conditions)


def parse(text: str) -> Query:
    if not text.strip():
        raise QueryError("empty query")
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"query longer than {MAX_QUERY_LENGTH} characters")
    parts = _AND.split(text.strip())
    if len(parts) > MAX_CONDITIONS:
        raise QueryError(f"at most {MAX_CONDITIONS} conditions")
    return Query(text, tuple(_condition(part) for part in parts))


def _condition(text: str) -> Condition:
    match = _CONDITION.match(text)
    if match is None:
        raise QueryError(f"cannot parse condition {text.strip()!r}")
    key, op, raw = match.group(1), match.group(2).strip(), match.group(3)
    if op not in _OPS:
        raise QueryError(f"unknown operator {op!r}")
    if op == "EXISTS":
        if raw is not None:
            raise QueryError("EXISTS takes no value")
        return Condition(key, op, None)
    if raw is None:
        raise QueryError(f"condition {text.strip()!r} needs a value")
    if raw.startswith("'"):
        return Condition(key, op, raw[1:-1])
    return Condition(key, op, int(raw))


def _is_int(text: str) -> bool:
    return re.fullmatch(r"-?[0-9]+", text) is not None
