// Compute jobs: the list (`jobs`, paged, with a state filter in the query string) and one job's
// page: its state, spec (the header's fields), result, committee (`job`), attestations
// (`attestations`), verdict (`verdict`), fraud proof, availability challenge and disputes (the
// job record), and what its verdict moved: payment, rewards and slashes, read from the events of
// the verdict's block (`block_results`) and the fraud proof's tx (`tx_search`). A job not yet
// final is redrawn on each block, so attestations and the verdict show as they land.

import {
  filterForm,
  fmtWork,
  jobLink,
  leaseLink,
  livePagedTable,
  memberLink,
  nodePage,
  providerLink,
  refreshOnBlock,
  stateBadge,
  yesNo,
} from "../market-parts.js";
import { RpcError } from "../rpc.js";
import {
  accountLink,
  blockLink,
  details,
  empty,
  errorBox,
  fmtCoin,
  fmtInt,
  fmtPercent,
  h,
  heading,
  section,
  short,
  stat,
  table,
  txLink,
} from "../ui.js";

const NOT_FOUND = -32001;
const STATES = ["pending", "committed", "verifying", "valid", "invalid", "provider_fault", "unverified"];
const FINAL = new Set(["valid", "invalid", "provider_fault", "unverified"]);

// -- the list -------------------------------------------------------------------------------------

export async function list(ctx) {
  const state = STATES.includes(ctx.query.get("state")) ? ctx.query.get("state") : "";
  ctx.main.append(heading("Jobs"), stateFilter(ctx), livePagedTable(ctx, {
    columns: ["Job", "Kind", "Provider", "Requester", "State", "Work units", "Lease", "Submitted at"],
    caption: state ? `Jobs in state ${state.replaceAll("_", " ")}` : "Jobs",
    emptyText: state ? "No job is in this state." : "No job was submitted yet.",
    load: (key) => nodePage(ctx.rpc, "jobs", { state }, key, "jobs", jobRow),
  }));
}

// The filter is in the URL: a filtered list is a link, and back and forward work.
function stateFilter(ctx) {
  const options = [["", "any"], ...STATES.map((state) => [state, state.replaceAll("_", " ")])];
  return filterForm(ctx, "jobs", [{ name: "state", label: "State", type: "select", options }]);
}

function jobRow(job) {
  return [
    jobLink(job.id),
    job.kind,
    providerLink(job.provider),
    accountLink(job.requester),
    stateBadge(job.state),
    fmtWork(job.work_units),
    leaseLink(job.lease_id),
    blockLink(job.submitted_height),
  ];
}

// -- one job --------------------------------------------------------------------------------------

export async function detail(ctx) {
  const text = ctx.params.id;
  ctx.main.append(heading(`Job ${text}`));
  if (!/^[1-9]\d{0,17}$/.test(text)) {
    ctx.main.append(errorBox(`"${text}" is not a job id: ids are positive integers.`));
    return;
  }
  const id = Number(text);
  const body = h("div");
  ctx.main.append(body);
  let shown;
  try {
    shown = await loadJob(ctx.rpc, id);
  } catch (error) {
    const missing = error instanceof RpcError && error.code === NOT_FOUND;
    body.replaceChildren(errorBox(missing ? `No job ${id}: not found.` : error));
    return;
  }
  body.replaceChildren(...drawJob(shown));
  refreshOnBlock(ctx, async () => {
    if (FINAL.has(shown.job.state) && shown.outcome) return; // nothing changes any more
    const next = await loadJob(ctx.rpc, id);
    if (body.contains(document.activeElement) && next.job.state === shown.job.state) return;
    shown = next;
    body.replaceChildren(...drawJob(shown));
  });
}

async function loadJob(rpc, id) {
  const [job, verdict, attestations] = await rpc.batch([
    ["job", { id }],
    ["verdict", { job_id: id }],
    ["attestations", { job_id: id }],
  ]);
  if (job instanceof Error) throw job;
  const loaded = {
    job: job.job,
    verdict: verdict instanceof Error ? null : verdict,
    attestations: attestations instanceof Error ? [] : attestations.attestations,
    outcome: null,
  };
  if (FINAL.has(loaded.job.state)) loaded.outcome = await loadOutcome(rpc, loaded.job);
  return loaded;
}

// What the verdict's block and the fraud proof's tx say about this job: the verdict's payment,
// the provider's and attesters' slashes, and the fraud proof's tx hash.
async function loadOutcome(rpc, job) {
  const calls = [["block_results", { height: String(job.verdict_height) }]];
  if (job.fraud) calls.push(["tx_search", { query: `fraud_proven.job_id='${job.id}'`, per_page: 1 }]);
  const [results, search] = await rpc.batch(calls);
  const outcome = { events: [], fraudTx: null, failed: results instanceof Error ? results : null };
  if (!outcome.failed) {
    const txEvents = (results.txs_results || []).flatMap((result) => result.events || []);
    outcome.events = [...txEvents, ...(results.finalize_block_events || [])]
      .map(attributesOf)
      .filter((event) => event.job_id === String(job.id));
  }
  if (search && !(search instanceof Error) && search.txs.length) outcome.fraudTx = search.txs[0].hash;
  return outcome;
}

function attributesOf(event) {
  const attributes = { type: event.type };
  for (const { key, value } of event.attributes || []) attributes[key] = value;
  return attributes;
}

function drawJob(loaded) {
  const { job } = loaded;
  return [
    jobFigures(loaded),
    details(jobRows(job)),
    section("Spec", specDetails(job)),
    section("Result", resultDetails(job)),
    section("Verdict", verdictDetails(loaded)),
    section("Committee", committeeDetails(job)),
    section("Attestations", attestationTable(loaded.attestations)),
    section("Fraud proof and disputes", ...challengeParts(loaded)),
  ];
}

function jobFigures({ job, verdict }) {
  const power = verdict && Number(verdict.total_power)
    ? `${fmtInt(verdict.valid_power)} of ${fmtInt(verdict.total_power)}`
    : "—";
  return h("div", { class: "stats" },
    stat("State", stateBadge(job.state), "job-state"),
    stat("Work units", fmtWork(job.work_units), "work-units"),
    stat("Deposit", fmtCoin(job.price), "deposit"),
    stat("Valid power", power, "valid-power"),
    stat(FINAL.has(job.state) ? "Verdict at" : "Result due by",
      blockLink(FINAL.has(job.state) ? job.verdict_height : job.deadline_height), "verdict-height"));
}

function jobRows(job) {
  return [
    ["Kind", job.kind],
    ["Lease", Number(job.lease_id) ? leaseLink(job.lease_id) : "none: a capacity challenge"],
    ["Provider", providerLink(job.provider, 24)],
    ["Requester", accountLink(job.requester, 24)],
    ["Submitted at", blockLink(job.submitted_height)],
    ["Result due by", blockLink(job.deadline_height)],
    ["Spec digest", h("span", { class: "mono", title: job.spec_digest }, short(job.spec_digest, 12))],
  ];
}

// -- spec and result ------------------------------------------------------------------------------

// The header's fields: dimensions, bounds, seed, and the roots of supplied tensors.
function specDetails(job) {
  const spec = job.spec;
  if (!spec) return details([["Header", h("span", { class: "mono" }, short(job.header, 16))]]);
  const root = (value) => (value ? h("span", { class: "mono", title: value }, short(value, 10)) : "seeded");
  const roots = (values) => (values ? values.map((value) => short(value, 6)).join(", ") : "seeded");
  if (spec.kind === "mlp") {
    return details([
      ["Shape", `${fmtInt(spec.rows)} rows through layers ${spec.widths.join(" → ")}`],
      ["Shifts", spec.shifts.join(", ") || "—"],
      ["Bounds", `input ${spec.input_bound}, weights ${spec.weight_bound}, biases ${spec.bias_bound}`],
      ["Seed", String(spec.seed)],
      ["Input", root(spec.x_root)],
      ["Weights", roots(spec.weight_roots)],
      ["Biases", roots(spec.bias_roots)],
    ]);
  }
  const batch = spec.kind === "batched_gemm" ? `${fmtInt(spec.batch)} × ` : "";
  return details([
    ["Dimensions", `${batch}${fmtInt(spec.m)} × ${fmtInt(spec.k)} × ${fmtInt(spec.n)} (m × k × n)`],
    ["Entry bound", String(spec.bound)],
    ["Seed", String(spec.seed)],
    ["A", root(spec.a_root)],
    ["B", root(spec.b_root)],
  ]);
}

function resultDetails(job) {
  const result = job.result;
  if (!result) return empty(`No result yet: due by block ${fmtInt(job.deadline_height)}.`);
  return details([
    ["Result root", h("span", { class: "mono" }, result.result_root)],
    ["Output root", h("span", { class: "mono" }, result.output_root)],
    ["Submitted at", blockLink(result.height)],
    ["Compute time", `${fmtInt(result.compute_ms)} ms`],
    ["Energy", result.energy_known ? `${fmtInt(result.energy_mj)} mJ` : "not measured"],
  ]);
}

// -- verdict --------------------------------------------------------------------------------------

function verdictDetails({ job, verdict, outcome }) {
  if (!verdict) return empty("The verdict could not be read.");
  const total = Number(verdict.total_power);
  const rows = [
    ["State", stateBadge(verdict.state)],
    ["Final", yesNo(verdict.final)],
    ["Valid attestations' power", total
      ? `${fmtInt(verdict.valid_power)} of ${fmtInt(total)} (${fmtPercent(Number(verdict.valid_power) / total)})`
      : "no committee yet"],
    ["Decided at", Number(verdict.verdict_height) ? blockLink(verdict.verdict_height) : "—"],
    ["Deposit", fmtCoin(job.price)],
  ];
  const paid = outcome && outcome.events.find((event) => event.type === "job_verdict");
  if (paid) {
    rows.push(
      ["Paid to the provider", fmtCoin(paid.paid)],
      ["Reward from the pool", fmtCoin(paid.reward)],
      ["Refunded to the requester", fmtCoin(paid.refunded)],
    );
    if (paid.reason) rows.push(["Reason", paid.reason.replaceAll("_", " ")]);
  } else if (outcome && outcome.failed) {
    rows.push(["Payment", errorBox(outcome.failed)]);
  }
  return details(rows);
}

// -- committee and attestations -------------------------------------------------------------------

function committeeDetails(job) {
  const committee = job.committee;
  if (!committee) return empty("No committee yet: one is sampled the block after the result.");
  return [
    details([
      ["Sampled at", blockLink(committee.sampled_height)],
      ["Attest by", blockLink(committee.attest_deadline_height)],
      ["Disputes until", blockLink(committee.window_end_height)],
      ["Freivalds rounds", fmtInt(committee.rounds)],
      ["Total power", fmtInt(committee.total_power)],
      ["Beacon", h("span", { class: "mono", title: committee.beacon }, short(committee.beacon, 12))],
    ]),
    table(["Member", "Power"], committee.members.map((member) => [memberLink(member.operator), fmtInt(member.power)]),
      "Committee members, in draw order"),
  ];
}

function attestationTable(attestations) {
  if (!attestations.length) return empty("No attestations yet.");
  const rows = attestations.map((record) => [
    memberLink(record.member),
    stateBadge(record.verdict),
    blockLink(record.height),
    yesNo(record.punished),
    disputeText(record),
  ]);
  return table(["Member", "Verdict", "At block", "Punished", "Dispute"], rows, "Attestations");
}

function disputeText(record) {
  if (record.dispute) return ["upheld: ", accountLink(record.dispute.disputer), " at ", blockLink(record.dispute.height)];
  if (record.pending_dispute) return ["open, answer due by ", blockLink(record.pending_dispute.deadline_height)];
  return "—";
}

// -- fraud proofs, availability challenges, disputes, slashes -------------------------------------

function challengeParts({ job, outcome }) {
  const events = outcome ? outcome.events : [];
  const parts = [];
  if (job.fraud) parts.push(h("h3", { class: "sub" }, "Fraud proof"), fraudDetails(job, events, outcome));
  if (job.availability) parts.push(h("h3", { class: "sub" }, "Availability challenge"), availabilityDetails(job.availability));
  if (job.disputes.length) parts.push(h("h3", { class: "sub" }, "Open disputes"), pendingTable(job.disputes));
  const slashes = events.filter((event) => event.type === "attester_slashed");
  if (slashes.length) parts.push(h("h3", { class: "sub" }, "Attesters slashed"), attesterTable(slashes));
  return parts.length ? parts : [empty("No fraud proof, availability challenge or dispute.")];
}

function fraudDetails(job, events, outcome) {
  const proven = events.find((event) => event.type === "fraud_proven");
  const failed = events.find((event) => event.type === "availability_failed");
  const slash = proven || failed;
  const rows = [
    ["Proven by", accountLink(job.fraud.prover, 24)],
    ["At block", blockLink(job.fraud.height)],
    ["How", proven ? "a fraud proof" : failed ? "the provider did not answer its availability challenge" : "—"],
    ["Tx", outcome && outcome.fraudTx ? txLink(outcome.fraudTx, 12) : undefined],
    ["Wrong entry", proven ? `output ${proven.tensor}, row ${proven.row}, column ${proven.col}` : undefined],
  ];
  if (slash) {
    rows.push(
      ["Provider's collateral slashed", slash.slashed ? fmtCoinText(slash.slashed) : "none (no collateral left)"],
      ["To the requester", fmtCoin(slash.to_requester)],
      ["To the prover", fmtCoin(proven ? proven.to_prover : failed.to_challenger)],
      ["Burned", fmtCoin(slash.burned)],
    );
  }
  return details(rows);
}

// "500000udepin" as 0.5 DEPIN.
function fmtCoinText(text) {
  const match = /^(\d+)([a-zA-Z][a-zA-Z0-9/:._-]*)$/.exec(text);
  return match ? fmtCoin(match[1], match[2]) : text;
}

function availabilityDetails(challenge) {
  return details([
    ["Challenger", accountLink(challenge.challenger, 24)],
    ["Bond", fmtCoin(challenge.bond)],
    ["Chunks sampled", challenge.chunks.join(", ")],
    ["Opened at", blockLink(challenge.opened_height)],
    ["Answer due by", blockLink(challenge.deadline_height)],
    ["Answered at", Number(challenge.answered_height) ? blockLink(challenge.answered_height) : "not answered"],
  ]);
}

function pendingTable(disputes) {
  const rows = disputes.map((dispute) => [
    memberLink(dispute.member),
    accountLink(dispute.disputer),
    `output ${dispute.tensor}, round ${dispute.round}, row ${dispute.row}`,
    fmtCoin(dispute.bond),
    blockLink(dispute.opened_height),
    blockLink(dispute.deadline_height),
  ]);
  return table(["Member", "Disputer", "Entry", "Bond", "Opened at", "Answer due by"], rows, "Disputes awaiting an answer");
}

function attesterTable(slashes) {
  const rows = slashes.map((event) => [
    memberLink(event.member),
    event.reason.replaceAll("_", " "),
    fmtCoin(event.burned),
    event.jailed === "true" ? "yes" : "no",
  ]);
  return table(["Member", "Reason", "Burned", "Jailed"], rows, "Committee members slashed at the verdict");
}
