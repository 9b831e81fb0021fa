"""``depind query compute <what>``, through the node's compute JSON-RPC methods (``jobs``,
``job``, ``attestations``, ``verdict``, ``provider_stats``, ``capacity``, and ``params`` with
``module: "compute"``).

``--output json`` prints the RPC result as the node sent it; text shows lists as aligned
tables and one record as ``label: value`` lines. Prices are in the compute denom; heights
are block heights.
"""

from __future__ import annotations

from typing import Any

import click

from node.cli import views
from node.cli.common import node_option, output_option
from node.cli.market_query import ID, listing, table, time_text
from node.cli.params import ADDRESS
from node.cli.staking_query import paged, show
from vm.compute.types import JobState

JOB_STATES = tuple(state.name.lower() for state in JobState)
MJ_PER_J = 1_000


@click.group(name="compute")
def compute_query() -> None:
    """Compute jobs, their attestations and verdicts, providers' verified work, the params."""


@compute_query.command()
@click.option("--lease", "lease_id", type=ID, help="Only jobs on this lease.")
@click.option("--provider", type=ADDRESS, help="Only this provider's jobs.")
@click.option("--requester", type=ADDRESS, help="Only this requester's jobs.")
@click.option("--state", type=click.Choice(JOB_STATES), help="Only jobs in this state.")
@paged
@node_option
@output_option
def jobs(
    lease_id: int | None,
    provider: str | None,
    requester: str | None,
    state: str | None,
    limit: int,
    next_key: str,
    node: str,
    output: str,
) -> None:
    """Jobs in id order, one page at a time."""
    params = {"lease_id": lease_id or 0, "provider": provider or "", "requester": requester or ""}
    params |= {"state": state or "", "limit": limit, "next_key": next_key}
    show(node, output, jobs_text, "jobs", **params)


@compute_query.command()
@click.argument("job_id", type=ID)
@node_option
@output_option
def job(job_id: int, node: str, output: str) -> None:
    """Job JOB_ID: its terms, result, committee and verdict."""
    show(node, output, job_text, "job", id=job_id)


@compute_query.command()
@click.argument("job_id", type=ID)
@node_option
@output_option
def attestations(job_id: int, node: str, output: str) -> None:
    """The attestations of job JOB_ID's committee members."""
    show(node, output, attestations_text, "attestations", job_id=job_id)


@compute_query.command()
@click.argument("job_id", type=ID)
@node_option
@output_option
def verdict(job_id: int, node: str, output: str) -> None:
    """Where the verification of job JOB_ID stands, or how it ended."""
    show(node, output, verdict_text, "verdict", job_id=job_id)


@compute_query.command(name="provider-stats")
@click.argument("provider", metavar="ADDRESS", type=ADDRESS)
@node_option
@output_option
def provider_stats(provider: str, node: str, output: str) -> None:
    """The verified jobs, work units and measured energy of provider ADDRESS."""
    show(node, output, stats_text, "provider_stats", provider=provider)


@compute_query.command()
@click.argument("provider", metavar="ADDRESS", type=ADDRESS)
@node_option
@output_option
def capacity(provider: str, node: str, output: str) -> None:
    """The capacity claim of provider ADDRESS, its measured capacity and its challenges."""
    show(node, output, capacity_text, "capacity", provider=provider)


@compute_query.command(name="params")
@node_option
@output_option
def compute_params(node: str, output: str) -> None:
    """The compute parameters."""
    show(node, output, views.params_text, "params", module="compute")


# -- text views ---------------------------------------------------------------------------------


def job_note(job: dict[str, Any]) -> str:
    """What a job is waiting for, or when it was settled."""
    state, committee = job["state"], job["committee"]
    if job["verdict_height"]:
        return f"settled at height {job['verdict_height']}"
    if state == "pending":
        return f"result by height {job['deadline_height']}"
    if committee is None:
        return "committee in the next block"
    return f"verdict at height {committee['window_end_height']}"


def jobs_text(result: dict[str, Any]) -> str:
    rows = [
        (
            j["id"],
            j["state"],
            j["kind"],
            j["lease_id"],
            j["work_units"],
            j["price"],
            job_note(j),
            j["provider"],
            j["requester"],
        )
        for j in result["jobs"]
    ]
    headers = ("ID", "STATE", "KIND", "LEASE", "WORK-UNITS", "PRICE", "STATUS", "PROVIDER", "REQUESTER")
    return listing(headers, rows, result, "no jobs")


def energy_text(energy_mj: int, known: bool) -> str:
    return f"{energy_mj / MJ_PER_J:.3f} J" if known else "unknown"


def job_text(result: dict[str, Any]) -> str:
    j = result["job"]
    pairs: list[tuple[str, Any]] = [
        ("id", j["id"]),
        ("state", j["state"]),
        ("kind", j["kind"]),
        ("lease", j["lease_id"]),
        ("requester", j["requester"]),
        ("provider", j["provider"]),
        ("spec digest", j["spec_digest"]),
        ("work units", j["work_units"]),
        ("price", j["price"]),
        ("submitted", f"height {j['submitted_height']}"),
        ("result due", f"by height {j['deadline_height']}"),
    ]
    if j["result"] is not None:
        r = j["result"]
        pairs += [
            ("result", f"height {r['height']}"),
            ("output root", r["output_root"]),
            ("result root", r["result_root"]),
            ("compute", f"{r['compute_ms']} ms, energy {energy_text(r['energy_mj'], r['energy_known'])}"),
        ]
    if j["committee"] is not None:
        c = j["committee"]
        members = ", ".join(f"{m['operator']} ({m['power']})" for m in c["members"]) or "none"
        pairs += [
            ("committee", f"sampled at height {c['sampled_height']}, {c['rounds']} rounds"),
            ("members", members),
            ("attest by", f"height {c['attest_deadline_height']}"),
            ("window ends", f"height {c['window_end_height']}"),
        ]
    if j.get("capacity") is not None:
        terms = j["capacity"]
        due = time_text(terms["deadline_time_ns"])
        pairs.append(("capacity challenge", f"claim {terms['claim']} multiply-adds/s, result by {due}"))
    if j["fraud"] is not None:
        pairs.append(("fraud", f"proven by {j['fraud']['prover']} at height {j['fraud']['height']}"))
    if j["verdict_height"]:
        pairs.append(("settled", f"height {j['verdict_height']}"))
    return views.fields(pairs)


def attestations_text(result: dict[str, Any]) -> str:
    rows = [
        (
            a["member"],
            a["verdict"],
            a["height"],
            "yes" if a["punished"] else "no",
            "-" if a["dispute"] is None else f"by {a['dispute']['disputer']} at {a['dispute']['height']}",
        )
        for a in result["attestations"]
    ]
    headers = ("MEMBER", "VERDICT", "HEIGHT", "PUNISHED", "DISPUTED")
    return table(headers, rows) if rows else "no attestations"


def verdict_text(result: dict[str, Any]) -> str:
    pairs: list[tuple[str, Any]] = [
        ("job", result["job_id"]),
        ("state", result["state"] + (" (final)" if result["final"] else "")),
        ("valid power", f"{result['valid_power']} of {result['total_power']}"),
    ]
    if result["fraud"] is not None:
        fraud = result["fraud"]
        pairs.append(("fraud", f"proven by {fraud['prover']} at height {fraud['height']}"))
    if result["verdict_height"]:
        pairs.append(("settled", f"height {result['verdict_height']}"))
    return views.fields(pairs)


def stats_text(result: dict[str, Any]) -> str:
    s = result["stats"]
    return views.fields(
        [
            ("provider", s["provider"]),
            ("verified jobs", s["verified_jobs"]),
            ("work units", s["verified_work_units"]),
            ("energy", f"{energy_text(s['energy_mj'], True)} over {s['energy_jobs']} measured jobs"),
        ]
    )


def capacity_text(result: dict[str, Any]) -> str:
    c = result["capacity"]
    expiry = f"until height {c['expires_height']}" if c["expires_height"] else "none in force"
    return views.fields(
        [
            ("provider", c["provider"]),
            ("claim", f"{c['claim']} multiply-adds/s" if c["claim"] else "none"),
            ("measured", f"{c['measured']} multiply-adds/s ({expiry})"),
            ("open challenge", f"job {c['open_job']}" if c["open_job"] else "none"),
            ("next due", f"height {c['due_height']}" if c["claim"] and not c["open_job"] else "-"),
            ("challenges", f"{c['passed']} met, {c['failed']} failed"),
        ]
    )
