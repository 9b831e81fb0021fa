"""Reading a registry as Prometheus would: its text exposition, parsed."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families


def scrape(registry: CollectorRegistry) -> dict[str, Metric]:
    """Every family in the registry's exposition, by name."""
    return parse(generate_latest(registry).decode())


def parse(exposition: str) -> dict[str, Metric]:
    return {family.name: family for family in text_string_to_metric_families(exposition)}


def values(family: Metric, label: str | None = None) -> dict[str, float]:
    """A family's samples (``_total`` ones for a counter) by the value of ``label``; with no
    label, its one sample under ""."""
    return {
        (sample.labels[label] if label else ""): sample.value
        for sample in family.samples
        if not sample.name.endswith("_created")
    }
