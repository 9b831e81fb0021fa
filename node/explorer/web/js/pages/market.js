// The GPU market: counts by state (`market_summary`), then a tab per view, each its own URL
// (?tab=offers|orders|leases|prices) with its filters in the query string:
//   offers  `offers` filtered by GPU model, the provider's region, price now and state
//   orders  `orders` by state: what each asks for, its max price and deposit
//   leases  `leases` by state, each with its escrow gauge and when it closes
//   prices  the reference price per GPU class over height (`price_index` history of the
//           classes `market_summary` lists) and each class's utilisation now
// and a page per offer, order and lease (`offer`, `order`, `lease`; a lease's jobs by `jobs`).
// Figures, the first page of a list and open orders and leases follow the chain block by block.

import { lineChart } from "../charts.js";
import {
  PAGE_SIZE,
  escrowGauge,
  filterForm,
  fmtDuration,
  fmtMemory,
  fmtNs,
  fmtPrice,
  fmtThroughput,
  fmtWork,
  gpuClassText,
  jobLink,
  leaseLink,
  livePagedTable,
  nodePage,
  offerLink,
  orderLink,
  pricingText,
  providerLink,
  refreshOnBlock,
  stateBadge,
  yesNo,
} from "../market-parts.js";
import { RpcError } from "../rpc.js";
import {
  accountLink,
  badge,
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
  stat,
  table,
  tabs,
} from "../ui.js";

const NOT_FOUND = -32001;
const TABS = [
  ["offers", "Offers"],
  ["orders", "Orders"],
  ["leases", "Leases"],
  ["prices", "Prices"],
];
const UDEPIN_PER_DEPIN = 1000000n;
const PRICE_DIGITS = 6;
const CLASS_LIMIT = 20; // classes charted: the first page of market_summary's

// -- the market page ------------------------------------------------------------------------------

export async function market(ctx) {
  const wanted = ctx.query.get("tab");
  const tab = TABS.some(([key]) => key === wanted) ? wanted : "offers";
  const figures = h("div", { class: "stats" });
  ctx.main.append(
    heading("Market"),
    figures,
    tabs(TABS.map(([key, label]) => [key, label, `market?tab=${key}`]), tab),
  );
  const summary = await showSummary(ctx, figures);
  refreshOnBlock(ctx, () => showSummary(ctx, figures));
  const views = { offers: offersView, orders: ordersView, leases: leasesView, prices: pricesView };
  await views[tab](ctx, summary);
}

async function showSummary(ctx, figures) {
  let summary;
  try {
    summary = await ctx.rpc.call("market_summary", { limit: CLASS_LIMIT });
  } catch (error) {
    figures.replaceChildren(errorBox(error));
    return null;
  }
  const offered = summary.classes.reduce((sum, item) => sum + Number(item.offered), 0);
  const leased = summary.classes.reduce((sum, item) => sum + Number(item.leased), 0);
  figures.replaceChildren(
    stat("Active offers", fmtInt(summary.offers.active), "offers-active"),
    stat("Open orders", fmtInt(summary.orders.open), "orders-open"),
    stat("Active leases", fmtInt(summary.leases.active), "leases-active"),
    stat("GPUs offered", fmtInt(offered), "gpus-offered"),
    stat("GPUs leased", fmtInt(leased), "gpus-leased"),
  );
  return summary;
}

// -- offers ---------------------------------------------------------------------------------------

async function offersView(ctx, summary) {
  const models = summary ? [...new Set(summary.classes.map((item) => item.gpu_class.model))] : [];
  ctx.main.append(filterForm(ctx, "market", [
    { name: "gpu_model", label: "GPU model", placeholder: "any", list: models },
    { name: "region", label: "Region", placeholder: "any, e.g. eu-west" },
    { name: "max_price", label: "Max price (DEPIN / GPU-h)", type: "number", step: "0.000001", inputmode: "decimal" },
    { name: "state", label: "State", type: "select", options: stateOptions(["active", "paused", "closed"]) },
  ]));
  let maxPrice;
  try {
    maxPrice = parseDepin(ctx.query.get("max_price"));
  } catch (error) {
    ctx.main.append(errorBox(error));
    return;
  }
  const filters = {
    gpu_model: ctx.query.get("gpu_model") || "",
    region: ctx.query.get("region") || "",
    state: ctx.query.get("state") || "",
    max_price: maxPrice,
  };
  ctx.main.append(livePagedTable(ctx, {
    columns: ["Offer", "Provider", "GPU class", "Leased / offered", "Pricing", "Durations", "State"],
    caption: "Offers (price filter: the price per GPU-hour now)",
    emptyText: "No offer matches these filters.",
    load: (key) => nodePage(ctx.rpc, "offers", filters, key, "offers", offerRow),
  }));
}

function offerRow(offer) {
  return [
    offerLink(offer.id),
    providerLink(offer.provider),
    gpuClassText(offer.gpu_class),
    `${fmtInt(offer.leased)} / ${fmtInt(offer.count)}`,
    pricingText(offer.pricing),
    `${fmtDuration(offer.min_duration_s)} to ${fmtDuration(offer.max_duration_s)}`,
    stateBadge(offer.state),
  ];
}

function stateOptions(states) {
  return [["", "any"], ...states.map((state) => [state, state])];
}

// "3.6" DEPIN as 3600000 udepin; empty: 0 (any price).
function parseDepin(text) {
  const value = (text || "").trim();
  if (!value) return 0;
  const match = /^(\d+)(?:\.(\d{1,6}))?$/.exec(value);
  if (!match) throw new Error(`A max price is DEPIN with at most ${PRICE_DIGITS} decimals, not "${value}".`);
  const fraction = (match[2] || "").padEnd(PRICE_DIGITS, "0");
  const udepin = BigInt(match[1]) * UDEPIN_PER_DEPIN + BigInt(fraction);
  if (udepin > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error("That max price is beyond any price.");
  return Number(udepin);
}

// -- orders ---------------------------------------------------------------------------------------

async function ordersView(ctx) {
  ctx.main.append(filterForm(ctx, "market", [
    { name: "state", label: "State", type: "select", options: stateOptions(["open", "matched", "cancelled", "expired"]) },
  ]));
  const filters = { state: ctx.query.get("state") || "" };
  ctx.main.append(livePagedTable(ctx, {
    columns: ["Order", "Requester", "Wants", "Duration", "Max price", "Deposit", "Lease", "State"],
    caption: "Orders",
    emptyText: "No order matches this filter.",
    load: (key) => nodePage(ctx.rpc, "orders", filters, key, "orders", (order) => [
      orderLink(order.id),
      accountLink(order.requester),
      wants(order.requirements),
      fmtDuration(order.duration_s),
      fmtPrice(order.max_price),
      fmtCoin(order.deposit),
      leaseLink(order.lease_id),
      stateBadge(order.state),
    ]),
  }));
}

// An order's requirements in a line: "1 × NVIDIA L4, ≥ 16 GiB, in eu-west".
function wants(requirements) {
  const parts = [`${fmtInt(requirements.gpus)} × ${requirements.gpu_models.join(" or ") || "any GPU"}`];
  if (Number(requirements.min_memory_mib)) parts.push(`≥ ${fmtMemory(requirements.min_memory_mib)}`);
  if (requirements.min_compute_capability) parts.push(`CC ≥ ${requirements.min_compute_capability}`);
  if (requirements.regions.length) parts.push(`in ${requirements.regions.join(" or ")}`);
  if (Number(requirements.min_reputation)) parts.push(`reputation ≥ ${fmtInt(requirements.min_reputation)}`);
  if (Number(requirements.min_capacity)) parts.push(`≥ ${fmtThroughput(requirements.min_capacity)}`);
  if (requirements.job_kind) parts.push(`runs ${requirements.job_kind}`);
  return parts.join(", ");
}

// -- leases ---------------------------------------------------------------------------------------

async function leasesView(ctx) {
  ctx.main.append(filterForm(ctx, "market", [
    { name: "state", label: "State", type: "select", options: stateOptions(["pending", "active", "closed"]) },
  ]));
  const filters = { state: ctx.query.get("state") || "" };
  ctx.main.append(livePagedTable(ctx, {
    columns: ["Lease", "Provider", "Requester", "GPUs", "Rate", "Escrow", "Closes", "State"],
    caption: "Leases",
    emptyText: "No lease matches this filter.",
    load: async (key) => {
      const answer = await ctx.rpc.call("leases", { ...filters, limit: PAGE_SIZE, next_key: key || "" });
      return { rows: answer.leases.map((item) => leaseRow(item, answer.height)), next: answer.next_key || null };
    },
  }));
}

function leaseRow({ lease, escrow }, height) {
  return [
    leaseLink(lease.id),
    providerLink(lease.provider),
    accountLink(lease.requester),
    `${lease.gpu_class.model} × ${fmtInt(lease.gpus)}`,
    fmtPrice(lease.rate),
    escrow ? escrowGauge(escrow.remaining, lease.deposit, height) : "—",
    closes(lease, escrow),
    stateBadge(lease.state),
  ];
}

// When a lease ends: a pending one if not accepted in time, an active one at its end or when its
// escrow runs out (the lease query says which), a closed one when and why it did.
function closes(lease, escrow) {
  if (lease.closed) return [stateBadge(lease.closed.reason), " at ", blockLink(lease.closed.height)];
  if (lease.state === "pending") return ["unless accepted by ", blockLink(lease.accept_deadline)];
  if (!escrow) return "—";
  return [fmtNs(escrow.due_ns), escrow.runs_out ? [" ", badge("escrow runs out", "warn")] : ""];
}

// -- prices ---------------------------------------------------------------------------------------

async function pricesView(ctx, summary) {
  if (!summary) return;
  if (summary.classes.length === 0) {
    ctx.main.append(empty("No GPU class is offered or leased yet."));
    return;
  }
  const classes = summary.classes;
  const chart = lineChart(
    {
      title: "Reference price per GPU class (DEPIN / GPU-hour)",
      xLabel: "Height",
      yLabel: "DEPIN / GPU-h",
      series: classes.map((item) => ({ label: classLabel(item.gpu_class) })),
    },
    [[], ...classes.map(() => [])],
  );
  ctx.onCleanup(() => chart.destroy());
  const now = h("div");
  ctx.main.append(h("div", { class: "charts" }, chart.element), section("Prices and utilisation now", now));
  const draw = async () => {
    const current = await ctx.rpc.call("market_summary", { limit: CLASS_LIMIT });
    const histories = await ctx.rpc.batch(classes.map((item) => ["price_index", item.gpu_class]));
    chart.update(alignHistories(histories));
    now.replaceChildren(priceTable(current.classes));
  };
  try {
    await draw();
  } catch (error) {
    now.replaceChildren(errorBox(error));
  }
  refreshOnBlock(ctx, draw);
}

function classLabel(gpuClass) {
  return `${gpuClass.model} (${fmtMemory(gpuClass.memory_mib)})`;
}

// uPlot's data: the heights any class was priced at, and each class's price there (or a gap).
function alignHistories(histories) {
  const byClass = histories.map((answer) =>
    new Map(answer instanceof Error ? [] : answer.history.map((point) => [Number(point.height), point.price])));
  const heights = [...new Set(byClass.flatMap((points) => [...points.keys()]))].sort((a, b) => a - b);
  const series = byClass.map((points) =>
    heights.map((height) => (points.has(height) ? Number(points.get(height)) / 1e6 : null)));
  return [heights, ...series];
}

function priceTable(classes) {
  const rows = classes.map((item) => [
    gpuClassText(item.gpu_class),
    fmtPrice(item.reference_price),
    fmtInt(item.offered),
    fmtInt(item.leased),
    Number(item.offered) ? fmtPercent(Number(item.leased) / Number(item.offered)) : "—",
  ]);
  return table(["GPU class", "Reference price", "GPUs offered", "GPUs leased", "Utilisation"], rows,
    "Reference price and utilisation per GPU class");
}

// -- one offer ------------------------------------------------------------------------------------

export async function offer(ctx) {
  const id = recordId(ctx);
  ctx.main.append(heading(`Offer ${ctx.params.id}`));
  if (id === null) return;
  const body = h("div");
  ctx.main.append(body);
  await liveRecord(ctx, body, () => ctx.rpc.call("offer", { id }), offerDetails, "offer");
}

function offerDetails({ offer, price }) {
  const free = offer.state === "active" ? Math.max(Number(offer.count) - Number(offer.leased), 0) : 0;
  return [
    details([
      ["State", stateBadge(offer.state)],
      ["Provider", providerLink(offer.provider, 24)],
      ["GPU class", gpuClassText(offer.gpu_class)],
      ["GPUs offered", fmtInt(offer.count)],
      ["GPUs leased", fmtInt(offer.leased)],
      ["GPUs free", fmtInt(free)],
      ["Pricing", pricingText(offer.pricing)],
      ["Price now", fmtPrice(price)],
      ["Lease duration", `${fmtDuration(offer.min_duration_s)} to ${fmtDuration(offer.max_duration_s)}`],
      ["Job kinds", offer.job_kinds.length ? offer.job_kinds.join(", ") : "any"],
      ["Created at", blockLink(offer.created_height)],
    ]),
  ];
}

// -- one order ------------------------------------------------------------------------------------

export async function order(ctx) {
  const id = recordId(ctx);
  ctx.main.append(heading(`Order ${ctx.params.id}`));
  if (id === null) return;
  const body = h("div");
  ctx.main.append(body);
  await liveRecord(ctx, body, () => ctx.rpc.call("order", { id }), orderDetails, "order");
}

function orderDetails({ order }) {
  const wanted = order.requirements;
  return [
    details([
      ["State", stateBadge(order.state)],
      ["Requester", accountLink(order.requester, 24)],
      ["Lease", leaseLink(order.lease_id)],
      ["Duration", fmtDuration(order.duration_s)],
      ["Max price", fmtPrice(order.max_price)],
      ["Deposit", fmtCoin(order.deposit)],
      ["Expires", Number(order.expires_ns) ? fmtNs(order.expires_ns) : "never"],
      ["Premium tier", yesNo(order.premium)],
      ["Created at", [blockLink(order.created_height), ", ", fmtNs(order.created_ns)]],
      ["Queued at", blockLink(order.queued_height)],
      ["Closed at", Number(order.closed_height) ? [blockLink(order.closed_height), ", ", fmtNs(order.closed_ns)] : "—"],
      ["Refunded", fmtCoin(order.refunded)],
    ]),
    section("Requirements", details([
      ["GPUs", fmtInt(wanted.gpus)],
      ["Models", wanted.gpu_models.length ? wanted.gpu_models.join(", ") : "any"],
      ["Memory at least", Number(wanted.min_memory_mib) ? `${fmtInt(wanted.min_memory_mib)} MiB` : "any"],
      ["Compute capability at least", wanted.min_compute_capability || "any"],
      ["Regions", wanted.regions.length ? wanted.regions.join(", ") : "any"],
      ["Provider reputation at least", fmtInt(wanted.min_reputation)],
      ["Measured throughput at least", Number(wanted.min_capacity) ? fmtThroughput(wanted.min_capacity) : "any"],
      ["Job kind", wanted.job_kind || "any"],
    ])),
  ];
}

// -- one lease ------------------------------------------------------------------------------------

export async function lease(ctx) {
  const id = recordId(ctx);
  ctx.main.append(heading(`Lease ${ctx.params.id}`));
  if (id === null) return;
  const body = h("div");
  ctx.main.append(body);
  const shown = await liveRecord(ctx, body, () => ctx.rpc.call("lease", { id }), leaseDetails, "lease");
  if (!shown) return;
  ctx.main.append(section("Jobs", livePagedTable(ctx, {
    columns: ["Job", "Kind", "Work units", "Submitted at", "State"],
    caption: "Jobs run on this lease",
    emptyText: "No jobs on this lease.",
    load: (key) => nodePage(ctx.rpc, "jobs", { lease_id: id }, key, "jobs", (job) => [
      jobLink(job.id), job.kind, fmtWork(job.work_units), blockLink(job.submitted_height), stateBadge(job.state),
    ]),
  })));
}

function leaseDetails(answer) {
  const { lease, escrow } = answer;
  const rows = [
    ["State", stateBadge(lease.state)],
    ["Escrow", escrow ? escrowGauge(escrow.remaining, lease.deposit, answer.height) : undefined],
    ["Closes", closes(lease, escrow)],
    ["Provider", providerLink(lease.provider, 24)],
    ["Requester", accountLink(lease.requester, 24)],
    ["Offer", offerLink(lease.offer_id)],
    ["Order", orderLink(lease.order_id)],
    ["GPUs", `${fmtInt(lease.gpus)} × ${gpuClassText(lease.gpu_class)}`],
    ["Rate", fmtPrice(lease.rate)],
    ["Take rate", fmtPercent(Number(lease.take_rate_bps) / 10000, 2)],
    ["Deposit", fmtCoin(lease.deposit)],
    ["Withdrawn by the provider", fmtCoin(lease.withdrawn)],
    ["Duration", fmtDuration(lease.duration_s)],
    ["Matched at", [blockLink(lease.matched_height), ", ", fmtNs(lease.matched_ns)]],
    ["Accept by", blockLink(lease.accept_deadline)],
    ["Accepted at", Number(lease.accepted_height) ? blockLink(lease.accepted_height) : "—"],
    ["Charging since", fmtNs(lease.start_ns)],
    ["Escrow warning", Number(lease.warn_ns) ? fmtNs(lease.warn_ns) : undefined],
  ];
  if (escrow) {
    rows.push(
      ["Earned so far", fmtCoin(escrow.earned)],
      ["Withdrawable now", fmtCoin(escrow.withdrawable)],
      ["Escrow as of", fmtNs(escrow.time_ns)],
    );
  }
  const parts = [details(rows)];
  if (lease.closed) parts.push(section("Closed", closedDetails(lease.closed)));
  return parts;
}

function closedDetails(closed) {
  return details([
    ["Reason", stateBadge(closed.reason)],
    ["At", [blockLink(closed.height), ", ", fmtNs(closed.time_ns)]],
    ["Earned in all", fmtCoin(closed.earned)],
    ["Market's take", fmtCoin(closed.fee)],
    ["Refunded to the requester", fmtCoin(closed.refunded)],
    ["Penalty from collateral", closed.penalty ? fmtCoin(closed.penalty.amount, closed.penalty.denom) : "none"],
  ]);
}

// -- shared ---------------------------------------------------------------------------------------

function recordId(ctx) {
  const text = ctx.params.id;
  if (/^[1-9]\d{0,17}$/.test(text)) return Number(text);
  ctx.main.append(errorBox(`"${text}" is not an id: ids are positive integers.`));
  return null;
}

// Loads a record into `body` and redraws it on each block (escrow runs down, states change);
// a redraw waits while the keyboard focus is inside it. Whether the record was found.
async function liveRecord(ctx, body, load, draw, what) {
  try {
    body.replaceChildren(...draw(await load()));
  } catch (error) {
    const missing = error instanceof RpcError && error.code === NOT_FOUND;
    body.replaceChildren(errorBox(missing ? `No ${what} ${ctx.params.id}: not found.` : error));
    return false;
  }
  refreshOnBlock(ctx, async () => {
    const answer = await load();
    if (!body.contains(document.activeElement)) body.replaceChildren(...draw(answer));
  });
  return true;
}
