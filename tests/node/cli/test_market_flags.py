"""The market commands without a node: flag values (durations, amounts, lists), flags that
do not fit together (one ``Error:`` line, exit 2, before any key or node is touched), every
command's help, and the text views of the market's answers."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from node.cli import market_query, market_tx
from node.cli.common import CLIError
from node.cli.main import cli
from tests.node.market_chain import market_app
from tests.vm.helpers import ALICE, query_json
from vm.market.types import GpuClass


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90),
        ("90s", 90),
        ("30m", 1_800),
        ("1h", 3_600),
        ("1h30m", 5_400),
        ("2d", 172_800),
        ("1D2H", 93_600),
    ],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert market_tx.parse_duration(text) == seconds
    assert market_tx.parse_duration(market_query.duration_text(seconds)) == seconds


@pytest.mark.parametrize("text", ["", "0", "0h", "h", "1x", "30m1h", "-5", "1.5h", "9" * 30, "٣"])
def test_invalid_duration(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        market_tx.parse_duration(text)


def test_parse_amount_and_list() -> None:
    assert market_tx.parse_amount("3600000").amount == 3_600_000
    assert (market_tx.parse_amount("5udepin").denom, market_tx.parse_amount("5").denom) == ("udepin", "")
    for bad in ("0", "udepin", "5 udepin", "1.5", str(2**63)):
        with pytest.raises(ValueError):
            market_tx.parse_amount(bad)
    assert market_tx.parse_list(" NVIDIA L4 , NVIDIA A100,") == ["NVIDIA L4", "NVIDIA A100"]
    with pytest.raises(ValueError):
        market_tx.parse_list(" , ")


def test_choose_the_only_fitting_registered_class() -> None:
    h100 = GpuClass("NVIDIA H100", 81_559, "9.0")
    l4 = GpuClass("NVIDIA L4", 23_034, "8.9")
    nothing = GpuClass("", 0, "")
    assert market_tx.choose_class([l4], nothing) == l4
    assert market_tx.choose_class([h100, l4], GpuClass("", 0, "8.9")) == l4
    with pytest.raises(CLIError, match="several GPU classes"):
        market_tx.choose_class([h100, l4], nothing)
    with pytest.raises(CLIError, match=r"registered: NVIDIA L4 \(23034 MiB, cc 8\.9\)"):
        market_tx.choose_class([l4], GpuClass("NVIDIA H100", 0, ""))


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["create-order", "--duration", "5x", "--max-price", "1"], "'--duration'"),
        (["create-order", "--duration", "1h", "--max-price", "0"], "'--max-price'"),
        (["create-order", "--duration", "1h", "--max-price", "1", "--regions", ","], "'--regions'"),
        (["create-order", "--duration", "1h", "--max-price", "1", "--gpus", "0"], "'--gpus'"),
        (["create-order", "--max-price", "1"], "Missing option '--duration'"),
        (["create-offer", "--count", "1"], "give --price (fixed) or --factor-bps"),
        (["create-offer", "--count", "1", "--price", "1", "--factor-bps", "2"], "not both"),
        (["create-offer", "--count", "1", "--price", "1", "--cap", "2"], "use them with --factor-bps"),
        (["create-offer", "--count", "1", "--price", "1", "--min-duration", "soon"], "'--min-duration'"),
        (["update-offer", "1", "--pause", "--resume"], "--pause or --resume"),
        (["update-offer", "1", "--floor", "5"], "use them with --factor-bps"),
        (["deposit", "1"], "give an AMOUNT to deposit, --extend, or both"),
        (["deposit", "1", "-5"], "No such option"),
        (["withdraw", "0"], "'LEASE_ID'"),
        (["close-lease", "x"], "'LEASE_ID'"),
        (["accept-lease"], "Missing argument 'LEASE_ID'"),
        (["cancel-order", "1"], "Missing option '--from'"),
    ],
)
def test_invalid_tx_flags(runner: CliRunner, args: list[str], says: str) -> None:
    from_key = [] if "--from" in says else ["--from", "renter"]
    result = runner.invoke(cli, ["tx", "market", *args, *from_key, "--keyring-backend", "test"])
    assert result.exit_code == 2, result.output
    [line] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert says in line and "Traceback" not in result.output, result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["offers", "--provider", "depin1x"], "'--provider'"),
        (["leases", "--state", "open"], "'--state'"),
        (["orders", "--limit", "101"], "'--limit'"),
        (["lease", "0"], "'LEASE_ID'"),
        (["price-index", "--gpu-model", "X", "--memory-mib", "1"], "Missing option '--compute-capability'"),
    ],
)
def test_invalid_query_flags(runner: CliRunner, args: list[str], says: str) -> None:
    result = runner.invoke(cli, ["query", "market", *args])
    assert result.exit_code == 2 and says in result.stderr, result.output


def test_help_of_every_market_command(runner: CliRunner) -> None:
    groups = {"tx": market_tx.market_tx, "query": market_query.market_query}
    for group, commands in groups.items():
        for name in ["", *commands.commands]:
            shown = runner.invoke(cli, [group, "market", *([name] if name else []), "--help"])
            assert shown.exit_code == 0 and "Usage:" in shown.output, (group, name, shown.output)


def test_table_aligns_columns_and_right_aligns_numbers() -> None:
    assert market_query.table(("ID", "STATE"), [(9, "active"), (10, "closed")]).splitlines() == [
        "ID  STATE",
        " 9  active",
        "10  closed",
    ]


def test_text_views_of_real_answers() -> None:
    app = market_app()
    offers = market_query.offers_text(query_json(app, "/market/offers", {"limit": 2}))  # type: ignore[arg-type]
    header, first, _, more = offers.splitlines()
    assert header.split() == [
        "ID",
        "STATE",
        "GPU",
        "MIB",
        "CC",
        "GPUS",
        "LEASED",
        "PRICE/GPU-H",
        "DURATION",
        "PROVIDER",
    ]
    assert first.split()[:9] == ["1", "active", "NVIDIA", "H100", "80GB", "HBM3", "81559", "9.0", "2"]
    assert first.split()[-3:] == ["3600000", "1m-1d", ALICE.address] and more == "more: --next-key 3"
    leases = market_query.leases_text(query_json(app, "/market/leases"))  # type: ignore[arg-type]
    assert "ends 2024-01-01T02:00:04Z" in leases and "requester_closed at height 5" in leases
    lease = market_query.lease_text(query_json(app, "/market/lease", {"id": 1}))  # type: ignore[arg-type]
    assert "earned:       2000" in lease and "charged from 2024-01-01T00:00:04Z" in lease
    order = market_query.order_text(query_json(app, "/market/order", {"id": 2}))  # type: ignore[arg-type]
    assert "state:        open" in order and "requirements: any" in order
    index = query_json(
        app, "/market/price_index", {"model": "NVIDIA L4", "memory_mib": 23_034, "compute_capability": "8.9"}
    )
    assert market_query.price_index_text(index).splitlines()[1].startswith("price: ")  # type: ignore[arg-type]
    assert market_query.orders_text({"orders": [], "next_key": None}) == "no orders"
