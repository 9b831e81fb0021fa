"""docs/metrics.md and docs/grafana/depind.json against what a node serves: every metric is
documented, and every query of the dashboard names a metric that exists."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from node.node import Node
from tests.node.metrics.support import scrape

DOCS = Path(__file__).resolve().parents[3] / "docs"
SUFFIXES = ("_bucket", "_sum", "_count", "_total")


def served(node: Node) -> set[str]:
    """The families a node serves, without the namespace."""
    return {name.removeprefix("depind_") for name in scrape(node.metrics.registry)}


def dashboard() -> dict[str, Any]:
    found: dict[str, Any] = json.loads((DOCS / "grafana" / "depind.json").read_text())
    return found


def test_every_metric_is_documented(node: Node) -> None:
    text = (DOCS / "metrics.md").read_text()
    undocumented = {
        name for name in served(node) if f"`{name}`" not in text and f"`{name}_total`" not in text
    }
    assert not undocumented


def test_the_dashboard_reads_only_metrics_a_node_serves(node: Node) -> None:
    families = served(node)
    exprs = [target["expr"] for panel in dashboard()["panels"] for target in panel.get("targets", [])]
    named = {name for expr in exprs for name in re.findall(r"\$\{namespace\}_([a-z0-9_]+)", expr)}
    assert len(named) > 20
    unknown = {
        name
        for name in named
        if name not in families
        and not any(name.endswith(suffix) and name.removesuffix(suffix) in families for suffix in SUFFIXES)
    }
    assert not unknown


def test_the_dashboard_asks_for_a_prometheus_data_source() -> None:
    board = dashboard()
    variables = {variable["name"]: variable for variable in board["templating"]["list"]}
    assert (variables["datasource"]["type"], variables["datasource"]["query"]) == ("datasource", "prometheus")
    assert variables["namespace"]["query"] == "depind"
    panels = [panel for panel in board["panels"] if panel["type"] != "row"]
    assert {json.dumps(panel["datasource"]) for panel in panels} == {
        '{"type": "prometheus", "uid": "${datasource}"}'
    }
    titles = " ".join(panel["title"].lower() for panel in panels)
    for topic in (
        "height",
        "interval",
        "transactions",
        "rounds",
        "mempool",
        "peers",
        "processing",
        "jobs",
        "slashes",
        "fetch",
        "check",
        "price",
    ):
        assert topic in titles
