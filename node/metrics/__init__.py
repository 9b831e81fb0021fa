"""Prometheus metrics for operators, served on ``[instrumentation] prometheus_listen_addr``
(127.0.0.1:26660 by default) at ``GET /metrics``.

Each node has a registry of its own (tests run several nodes in one process), filled
three ways:

- pushed by consensus: the engines report heights, rounds and committed blocks through
  ``consensus.metrics.ConsensusMetrics``, which ``consensus.py`` implements with CometBFT's
  names (``<namespace>_consensus_height``, ``..._state_block_processing_time``);
- read at scrape time: the mempool's size and failed txs, the connected peers
  (``node_state.py``), and the chain's market, compute and slashing tallies from the
  committed state's summary queries (``chain_state.py``);
- observed by the verifier service: how long fetching and checking a job's outputs took
  (``verifier.py``).

``registry.py`` puts them together for a node; ``server.py`` serves them. Every metric,
with its type, labels and meaning, is listed in docs/metrics.md.
"""

from prometheus_client import disable_created_metrics

# CometBFT serves no ``<name>_created`` series beside counters and histograms, and dashboards
# do not read them: off for the whole process, whichever module of this package comes first.
disable_created_metrics()  # type: ignore[no-untyped-call]
