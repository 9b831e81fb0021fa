"""node.query: CometBFT's event query language (the subset depind serves)."""

from __future__ import annotations

import pytest

from node.query import MAX_CONDITIONS, MAX_QUERY_LENGTH, Condition, QueryError, parse


def only(text: str) -> Condition:
    (condition,) = parse(text).conditions
    return condition


# -- parsing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tm.event='Tx'", Condition("tm.event", "=", "Tx")),
        ("tm.event = 'NewBlock'", Condition("tm.event", "=", "NewBlock")),
        ("tx.height=5", Condition("tx.height", "=", 5)),
        ("tx.height<5", Condition("tx.height", "<", 5)),
        ("tx.height<=5", Condition("tx.height", "<=", 5)),
        ("tx.height>5", Condition("tx.height", ">", 5)),
        ("tx.height >= 5", Condition("tx.height", ">=", 5)),
        ("balance.delta > -3", Condition("balance.delta", ">", -3)),
        ("transfer.memo CONTAINS 'gpu'", Condition("transfer.memo", "CONTAINS", "gpu")),
        ("provider.owner EXISTS", Condition("provider.owner", "EXISTS", None)),
        ("message.module_name-x='a'", Condition("message.module_name-x", "=", "a")),
        ("a=''", Condition("a", "=", "")),
        ("a='x = 1 < 2'", Condition("a", "=", "x = 1 < 2")),
        ("  a='b'  ", Condition("a", "=", "b")),
    ],
)
def test_parse_condition(text: str, expected: Condition) -> None:
    assert only(text) == expected


def test_parse_and() -> None:
    query = parse("tm.event='Tx' AND transfer.recipient='depin1abc' AND tx.height>=5")
    assert query.conditions == (
        Condition("tm.event", "=", "Tx"),
        Condition("transfer.recipient", "=", "depin1abc"),
        Condition("tx.height", ">=", 5),
    )
    assert query.text == "tm.event='Tx' AND transfer.recipient='depin1abc' AND tx.height>=5"


def test_parse_quoted_value_containing_and() -> None:
    query = parse("transfer.memo='rent AND pay' AND tx.height=3")
    assert query.conditions == (
        Condition("transfer.memo", "=", "rent AND pay"),
        Condition("tx.height", "=", 3),
    )


def test_integer_values_are_ints_quoted_ones_strings() -> None:
    assert only("a=12").value == 12
    assert only("a='12'").value == "12"


def test_max_conditions() -> None:
    text = " AND ".join(f"k{n}='v'" for n in range(MAX_CONDITIONS))
    assert len(parse(text).conditions) == MAX_CONDITIONS


def test_max_length() -> None:
    text = "a='" + "x" * (MAX_QUERY_LENGTH - 4) + "'"
    assert len(text) == MAX_QUERY_LENGTH
    assert only(text).value == "x" * (MAX_QUERY_LENGTH - 4)


# -- rejections ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_invalid_empty(text: str) -> None:
    with pytest.raises(QueryError, match="empty"):
        parse(text)


def test_invalid_too_long() -> None:
    with pytest.raises(QueryError, match="longer"):
        parse("a='" + "x" * MAX_QUERY_LENGTH + "'")


def test_invalid_too_many_conditions() -> None:
    with pytest.raises(QueryError, match="at most"):
        parse(" AND ".join(f"k{n}='v'" for n in range(MAX_CONDITIONS + 1)))


@pytest.mark.parametrize(
    "text",
    [
        "tm.event",
        "tm.event=",
        "='Tx'",
        "tm.event='Tx",
        "tm.event=Tx",
        "tm.event=='Tx'",
        "tm.event!='Tx'",
        "tm.event='Tx' OR tx.height=1",
        "tm.event='Tx' and tx.height=1",
        "tm.event='Tx' AND",
        "AND tm.event='Tx'",
        "tm.event='Tx' AND AND tx.height=1",
        "tx.height=1.5",
        "tx.height=1e3",
        "a CONTAINS",
        "a CONTAINS b",
        "a EXISTS 'x'",
        "a LIKE 'x'",
        "tm event='Tx'",
        "a='x' b='y'",
        "a='it's'",
    ],
)
def test_invalid_syntax(text: str) -> None:
    with pytest.raises(QueryError):
        parse(text)


# -- matching ---------------------------------------------------------------------------------

EVENTS = {
    "tm.event": ["Tx"],
    "tx.height": ["7"],
    "transfer.recipient": ["depin1bob", "depin1carol"],
    "transfer.memo": ["rent a gpu"],
    "balance.delta": ["-3"],
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tm.event='Tx'", True),
        ("tm.event='NewBlock'", False),
        ("transfer.recipient='depin1carol'", True),
        ("transfer.recipient='depin1dave'", False),
        ("transfer.memo CONTAINS 'gpu'", True),
        ("transfer.memo CONTAINS 'cpu'", False),
        ("transfer.recipient CONTAINS 'bo'", True),
        ("tx.height=7", True),
        ("tx.height='7'", True),
        ("tx.height=8", False),
        ("tx.height<8", True),
        ("tx.height<7", False),
        ("tx.height<=7", True),
        ("tx.height>6", True),
        ("tx.height>7", False),
        ("tx.height>=7", True),
        ("tx.height>=8", False),
        ("balance.delta<0", True),
        ("balance.delta>=-3", True),
        ("tx.height>'6'", False),  # ordering needs an integer operand
        ("transfer.memo>1", False),  # and an integer value
        ("transfer.recipient EXISTS", True),
        ("provider.owner EXISTS", False),
        ("provider.owner='x'", False),
        ("tm.event='Tx' AND tx.height>5 AND transfer.recipient='depin1bob'", True),
        ("tm.event='Tx' AND tx.height>7", False),
    ],
)
def test_matches(text: str, expected: bool) -> None:
    assert parse(text).matches(EVENTS) is expected


def test_matches_nothing_on_no_events() -> None:
    assert not parse("tm.event='Tx'").matches({})
    assert not parse("a EXISTS").matches({"a": []})
