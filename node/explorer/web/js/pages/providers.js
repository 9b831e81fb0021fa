// GPU providers: the list (`providers`, paged by owner) and one provider's page: its hardware,
// region, endpoint, collateral and reputation (`provider`), measured throughput (`capacity`),
// verified work and energy (`provider_stats`), its offers, leases and jobs (`offers`, `leases`,
// `jobs` filtered by provider, paged) and its slashes: every job of its proven wrong (state
// invalid) cost it collateral. Figures refresh on each block.

import {
  fmtPrice,
  fmtThroughput,
  fmtWork,
  gpuClassText,
  jobLink,
  leaseLink,
  livePagedTable,
  nodePage,
  offerLink,
  pricingText,
  providerLink,
  refreshOnBlock,
  stateBadge,
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
  h,
  heading,
  section,
  stat,
  table,
} from "../ui.js";

const NOT_FOUND = -32001;
const MJ_PER_PJ = 1e9; // millijoules to picojoules

// -- the list -------------------------------------------------------------------------------------

export async function list(ctx) {
  ctx.main.append(
    heading("Providers"),
    h("p", { class: "muted" }, "GPU providers registered on the chain, by owner address."),
    livePagedTable(ctx, {
      columns: ["Owner", "Region", "GPUs", "Collateral", "Reputation", "Status"],
      caption: "Providers",
      emptyText: "No provider has registered yet.",
      load: (key) => nodePage(ctx.rpc, "providers", {}, key, "providers", providerRow),
    }),
  );
}

function providerRow(provider) {
  return [
    providerLink(provider.owner),
    provider.region,
    gpuSummary(provider.gpus),
    fmtCoin(provider.collateral.amount, provider.collateral.denom),
    fmtInt(provider.reputation),
    stateBadge(provider.status),
  ];
}

function gpuSummary(gpus) {
  return gpus.map((gpu) => `${gpu.model} × ${gpu.count}`).join(", ");
}

// -- one provider ---------------------------------------------------------------------------------

export async function detail(ctx) {
  const owner = ctx.params.address;
  ctx.main.append(heading("Provider", " ", h("span", { class: "mono" }, owner)));
  const figures = h("div", { class: "stats" });
  const about = h("div");
  ctx.main.append(figures, about);
  let loaded;
  try {
    loaded = await loadProvider(ctx.rpc, owner);
  } catch (error) {
    const missing = error instanceof RpcError && error.code === NOT_FOUND;
    ctx.main.append(errorBox(missing ? `No provider ${owner} is registered (it may have left).` : error));
    return;
  }
  showFigures(figures, loaded);
  about.append(...aboutProvider(loaded));
  ctx.main.append(...records(ctx, owner));
  refreshOnBlock(ctx, async () => showFigures(figures, await loadProvider(ctx.rpc, owner)));
}

async function loadProvider(rpc, owner) {
  const [provider, capacity, stats] = await rpc.batch([
    ["provider", { owner }],
    ["capacity", { provider: owner }],
    ["provider_stats", { provider: owner }],
  ]);
  if (provider instanceof Error) throw provider;
  return {
    provider,
    capacity: capacity instanceof Error ? null : capacity.capacity,
    stats: stats instanceof Error ? null : stats.stats,
  };
}

function showFigures(figures, { provider, capacity, stats }) {
  figures.replaceChildren(
    stat("Status", stateBadge(provider.status), "status"),
    stat("Collateral", fmtCoin(provider.collateral.amount, provider.collateral.denom), "collateral"),
    stat("Reputation", fmtInt(provider.reputation), "reputation"),
    stat("Measured throughput", throughput(capacity ? capacity.measured : provider.measured_capacity), "throughput"),
    stat("Verified jobs", stats ? fmtInt(stats.verified_jobs) : "—", "verified-jobs"),
    stat("Verified work", stats ? fmtWork(stats.verified_work_units) : "—", "verified-work"),
    stat("Energy per unit of work", energyPerUnit(stats), "energy"),
  );
}

function throughput(measured) {
  return Number(measured) ? fmtThroughput(measured) : "not measured";
}

// Energy is known only for the jobs NVML measured: per unit of work only when every verified
// job's was; otherwise what is known, said as such.
function energyPerUnit(stats) {
  if (!stats || !Number(stats.energy_jobs)) return "not measured";
  const { energy_mj: energy, energy_jobs: measured, verified_jobs: jobs } = stats;
  if (Number(measured) === Number(jobs) && Number(stats.verified_work_units)) {
    return `${(Number(energy) * MJ_PER_PJ / Number(stats.verified_work_units)).toFixed(2)} pJ/MAC`;
  }
  return `${fmtInt(energy)} mJ over ${fmtInt(measured)} of ${fmtInt(jobs)} jobs`;
}

function aboutProvider({ provider, capacity }) {
  return [
    details([
      ["Owner", accountLink(provider.owner, 24)],
      ["Region", provider.region],
      ["Endpoint", h("span", { class: "mono" }, provider.endpoint)],
      ["Price hint", fmtPrice(provider.price_hint.amount)],
      ["Registered at", blockLink(provider.registered_height)],
      ["Collateral released at", Number(provider.exit_height) ? blockLink(provider.exit_height) : undefined],
    ]),
    section("Hardware", hardwareTable(provider.gpus)),
    section("Measured throughput", capacityDetails(capacity, provider)),
  ];
}

function hardwareTable(gpus) {
  const rows = gpus.map((gpu) => [
    gpu.model,
    `${fmtInt(gpu.memory_mib)} MiB`,
    gpu.compute_capability,
    fmtInt(gpu.count),
    gpu.uuid_hashes.length ? `${gpu.uuid_hashes.length} declared` : "none declared",
  ]);
  return table(["Model", "Memory", "Compute capability", "Count", "GPU UUIDs"], rows, "Registered GPUs");
}

// Capacity challenges: the chain times a seeded GEMM against the provider's claim.
function capacityDetails(capacity, provider) {
  if (!capacity) return empty("No capacity record.");
  if (!Number(capacity.claim) && !Number(capacity.passed) && !Number(capacity.failed)) {
    return empty(`No capacity claimed: throughput ${throughput(provider.measured_capacity)}.`);
  }
  return details([
    ["Claim", fmtThroughput(capacity.claim)],
    ["Measured", throughput(capacity.measured)],
    ["Measured at", Number(capacity.measured_height) ? blockLink(capacity.measured_height) : "—"],
    ["Counts until", Number(capacity.expires_height) ? blockLink(capacity.expires_height) : "—"],
    ["Challenges met / failed", `${fmtInt(capacity.passed)} / ${fmtInt(capacity.failed)}`],
    ["Open challenge", jobLink(capacity.open_job)],
    ["Next challenge from", Number(capacity.due_height) ? blockLink(capacity.due_height) : "—"],
  ]);
}

// -- its records ----------------------------------------------------------------------------------

function records(ctx, owner) {
  const pages = (method, params, field, row) => (key) => nodePage(ctx.rpc, method, params, key, field, row);
  return [
    section("Offers", livePagedTable(ctx, {
      columns: ["Offer", "GPU class", "Leased / offered", "Price", "State"],
      caption: "Its offers",
      emptyText: "No offers.",
      load: pages("offers", { provider: owner }, "offers", (offer) => [
        offerLink(offer.id), gpuClassText(offer.gpu_class), `${fmtInt(offer.leased)} / ${fmtInt(offer.count)}`,
        pricingText(offer.pricing), stateBadge(offer.state),
      ]),
    })),
    section("Leases", livePagedTable(ctx, {
      columns: ["Lease", "Requester", "GPUs", "Rate", "State"],
      caption: "Its leases",
      emptyText: "No leases.",
      load: pages("leases", { provider: owner }, "leases", ({ lease }) => [
        leaseLink(lease.id), accountLink(lease.requester), `${lease.gpu_class.model} × ${lease.gpus}`,
        fmtPrice(lease.rate), stateBadge(lease.closed ? lease.closed.reason : lease.state),
      ]),
    })),
    section("Jobs", livePagedTable(ctx, {
      columns: ["Job", "Kind", "Lease", "Requester", "Work units", "State"],
      caption: "Its jobs",
      emptyText: "No jobs.",
      load: pages("jobs", { provider: owner }, "jobs", (job) => [
        jobLink(job.id), job.kind, leaseLink(job.lease_id), accountLink(job.requester), fmtWork(job.work_units),
        stateBadge(job.state),
      ]),
    })),
    section("Slashes",
      h("p", { class: "muted" }, "Each job proven wrong took part of its collateral; the job shows the amounts."),
      livePagedTable(ctx, {
        columns: ["Job", "Reason", "Proven by", "At block", "Lease"],
        caption: "Its slashes",
        emptyText: "Never slashed.",
        load: pages("jobs", { provider: owner, state: "invalid" }, "jobs", slashRow),
      })),
  ];
}

function slashRow(job) {
  const unanswered = job.availability && !Number(job.availability.answered_height);
  return [
    jobLink(job.id),
    unanswered ? "availability unanswered" : "fraud proof",
    job.fraud ? accountLink(job.fraud.prover) : "—",
    job.fraud ? blockLink(job.fraud.height) : blockLink(job.verdict_height),
    leaseLink(job.lease_id),
  ];
}
