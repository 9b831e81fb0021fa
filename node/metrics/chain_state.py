"""depind's market, compute and slashing figures, read from the committed state when scraped.

The modules keep tallies as consensus state (counters updated where records change) and
answer them through the summary queries ``/market/summary``, ``/compute/summary`` and
``/slashing/summary`` (docs/rpc.md), so a scrape costs a handful of reads whatever the
state's size. It reads on the event loop, between blocks, so every figure is of one height.

Counts of records by state are gauges. Totals that only grow (work units verified, fraud
proofs, disputes, availability challenges, slashes) are counters; being chain totals, they
do not reset when the node restarts. The jobs in the states valid, invalid, provider_fault
and unverified are the verdicts reached. Each slash is counted once: providers' collateral
by the compute module, validators' stake (committee members' included) by the slashing
module, so all slashes are the sum of the two.

GPU classes come a page at a time, at most ``MAX_CLASS_PAGES`` pages of ``CLASS_PAGE_LIMIT``,
which bounds both a scrape's work and the series it yields. A summary that cannot be read (a bug, or a state
that lacks it) is logged and its metrics left out; the rest are served.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from vm.app import QueryResult

log = logging.getLogger("depind.metrics")

Query = Callable[[str, bytes], QueryResult]

MAX_CLASS_PAGES = 10
CLASS_PAGE_LIMIT = 100
CLASS_LABELS = ("model", "memory_mib", "compute_capability")


class SummaryUnavailable(Exception):
    """A summary query failed, or answered something other than the documented shape."""


class StateCollector(Collector):
    def __init__(
        self,
        query: Query,
        namespace: str,
        class_page_limit: int = CLASS_PAGE_LIMIT,
        max_class_pages: int = MAX_CLASS_PAGES,
    ) -> None:
        self.query = query
        self.namespace = namespace
        self.class_page_limit = class_page_limit
        self.max_class_pages = max_class_pages

    def collect(self) -> Iterator[Metric]:
        for module, read in (("market", self.market), ("compute", self.compute), ("slashing", self.slashing)):
            try:
                metrics = list(read())  # all of a module's metrics, or none
            except SummaryUnavailable as error:
                log.warning("metrics: the %s summary is unavailable: %s", module, error)
                continue
            yield from metrics

    # -- the modules ---------------------------------------------------------------------------

    def market(self) -> Iterator[Metric]:
        first = self.ask("/market/summary", {"limit": self.class_page_limit})
        yield self.by_label(GaugeMetricFamily, "market_offers", "Offers by state.", "state", first, "offers")
        yield self.by_label(GaugeMetricFamily, "market_orders", "Orders by state.", "state", first, "orders")
        yield self.by_label(GaugeMetricFamily, "market_leases", "Leases by state.", "state", first, "leases")
        offered = self.gauge("market_gpus_offered", "GPUs of a class offered (in active offers, or leased).")
        leased = self.gauge("market_gpus_leased", "GPUs of a class leased now.")
        price = self.gauge(
            "market_reference_price", "A class's reference price per GPU-hour, in the base denom."
        )
        for entry in self.classes(first):
            labels = class_labels(entry)
            offered.add_metric(labels, number(entry, "offered"))
            leased.add_metric(labels, number(entry, "leased"))
            price.add_metric(labels, number(entry, "reference_price"))
        yield from (offered, leased, price)

    def classes(self, first: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Each GPU class's figures, from ``first`` and the pages after it."""
        page = first
        for _ in range(self.max_class_pages):
            for entry in member(page, "classes", list):
                if not isinstance(entry, dict):
                    raise SummaryUnavailable("a class entry is not a JSON object")
                yield entry
            next_key = page.get("next_key")
            if not next_key:
                return
            page = self.ask("/market/summary", {"limit": self.class_page_limit, "next_key": next_key})
        log.warning("metrics: GPU classes past %d are left out", self.max_class_pages * self.class_page_limit)

    def compute(self) -> Iterator[Metric]:
        summary = self.ask("/compute/summary", {})
        yield self.by_label(
            GaugeMetricFamily,
            "compute_jobs",
            "Compute jobs by state (valid, invalid, provider_fault, unverified: the verdicts).",
            "state",
            summary,
            "jobs",
        )
        yield self.counter(
            "compute_work_units_verified",
            "Work units of the jobs whose results were verified valid.",
            number(summary, "work_units_verified"),
        )
        yield self.counter("compute_fraud_proofs", "Fraud proofs accepted.", number(summary, "fraud_proofs"))
        yield self.by_label(
            CounterMetricFamily,
            "compute_disputes",
            "Attestation disputes by outcome.",
            "outcome",
            summary,
            "disputes",
        )
        yield self.counter(
            "compute_availability_challenges",
            "Data-availability challenges opened.",
            number(summary, "availability_challenges"),
        )
        yield self.by_label(
            CounterMetricFamily,
            "compute_provider_slashes",
            "Providers' collateral slashed, by reason.",
            "reason",
            summary,
            "provider_slashes",
        )

    def slashing(self) -> Iterator[Metric]:
        summary = self.ask("/slashing/summary", {})
        yield self.by_label(
            CounterMetricFamily,
            "slashing_slashes",
            "Validator slashes by the slashing module (committee members' included), by reason.",
            "reason",
            summary,
            "slashes",
        )

    # -- reading and shaping --------------------------------------------------------------------

    def ask(self, path: str, request: Mapping[str, Any]) -> Mapping[str, Any]:
        result = self.query(path, json.dumps(request).encode())
        if result.code != 0:
            raise SummaryUnavailable(f"{path}: {result.codespace} code {result.code}: {result.log}")
        try:
            answer = json.loads(result.value)
        except ValueError as error:
            raise SummaryUnavailable(f"{path}: not JSON: {error}") from None
        if not isinstance(answer, dict):
            raise SummaryUnavailable(f"{path}: not a JSON object")
        return answer

    def name(self, short: str) -> str:
        return f"{self.namespace}_{short}"

    def gauge(self, short: str, documentation: str) -> GaugeMetricFamily:
        return GaugeMetricFamily(self.name(short), documentation, labels=CLASS_LABELS)

    def counter(self, short: str, documentation: str, value: int) -> CounterMetricFamily:
        return CounterMetricFamily(self.name(short), documentation, value)

    def by_label(
        self,
        family: type[GaugeMetricFamily] | type[CounterMetricFamily],
        short: str,
        documentation: str,
        label: str,
        answer: Mapping[str, Any],
        key: str,
    ) -> Metric:
        """One series per entry of ``answer[key]``, a JSON object of counts."""
        metric = family(self.name(short), documentation, labels=[label])
        counts = member(answer, key, dict)
        for name in sorted(counts):
            metric.add_metric([name], number(counts, name))
        return metric


def member(answer: Mapping[str, Any], key: str, kind: type[list[Any]] | type[dict[str, Any]]) -> Any:
    """``answer[key]``, which must be a JSON array (``list``) or object (``dict``)."""
    value = answer.get(key)
    if not isinstance(value, kind):
        raise SummaryUnavailable(f"{key!r} is not a JSON {'array' if kind is list else 'object'}")
    return value


def number(answer: Mapping[str, Any], key: str) -> int:
    """A count or amount, written as a JSON integer or a decimal string."""
    value = answer.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise SummaryUnavailable(f"{key!r} is not a count: {value!r}")


def class_labels(entry: Mapping[str, Any]) -> list[str]:
    gpu_class = member(entry, "gpu_class", dict)
    return [str(gpu_class.get(name, "")) for name in CLASS_LABELS]
