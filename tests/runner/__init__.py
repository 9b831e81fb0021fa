"""The network runner: a depind network under load and faults, then checked, after
CometBFT's test/e2e runner.

A TOML manifest (manifest.py; examples in manifests/) describes the network (validators
with their stakes, full nodes, a GPU provider running ``depind worker``), the load (bank
sends, delegations, market orders and lease closes, PoUW jobs, governance votes, each at
a rate) and the perturbations, each on a node at a moment: kill -9, pause (SIGSTOP and
SIGCONT), restart, disconnect, or of the whole network: a software upgrade through
governance, a partition. The nodes share 127.0.0.1, or each has a host of its own (a Linux
network namespace) with links shaped by delay, jitter and loss.

    uv run python -m tests.runner tests/runner/manifests/ci.toml --report out.json

The parts, each one concern: testbed.py starts real ``depind`` processes with tests/e2e's
harness, on hosts.py's namespaces when asked, whose links netem.py shapes; load.py sends the
txs and keeps the ledger; chain.py follows the blocks and reads the nodes; perturb.py (and
upgrade.py, links.py) break and mend nodes on schedule; checks.py judges what was read, as
pure functions; report.py writes
the verdict; run.py puts them in order. Every thread and every wait is bounded in time.
"""
