"""The verifier service's timings: how long fetching and checking a job's outputs took.

Observed for each job the service judges (node/verifier.py), on its worker thread
(prometheus_client's instruments are thread-safe): the fetch from the provider's endpoint
(the outputs, and a job's supplied inputs) once it succeeded, and Freivalds' check.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram

FETCH_BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
CHECK_BUCKETS_S = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class VerifierMetrics:
    def __init__(self, registry: CollectorRegistry | None = None, namespace: str = "depind") -> None:
        """Registered in ``registry``; with none, the timings are kept but served nowhere."""
        self.fetch_seconds = Histogram(
            "fetch_seconds",
            "Time to download a job's outputs (and supplied inputs) from its provider.",
            namespace=namespace,
            subsystem="verifier",
            buckets=FETCH_BUCKETS_S,
            registry=registry,
        )
        self.check_seconds = Histogram(
            "check_seconds",
            "Time of Freivalds' check of a job's outputs.",
            namespace=namespace,
            subsystem="verifier",
            buckets=CHECK_BUCKETS_S,
            registry=registry,
        )
