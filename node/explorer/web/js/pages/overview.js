// The overview: the chain's figures, live on every block, charts of recent blocks, and the
// latest blocks.
//
// Figures: height, block time and interval and tx/s from `blockchain` metas; the bonded
// validators from `validators`; open leases, GPUs offered and leased, verified jobs and
// slashes from `summary`. Charts over the last WINDOW blocks: block interval and txs per block
// (`blockchain`, 20 metas a call, batched), verified work per block (the work units of jobs
// whose `job_verdict` said valid, read from `block_events` and then from each NewBlock
// event's events), and utilisation (GPUs leased over offered) sampled from `summary` on each
// block while the page is open. Every new block extends them without reloading the page.

import { lineChart } from "../charts.js";
import {
  blockLink, errorBox, fmtInt, fmtTime, h, heading, section, stat, table,
} from "../ui.js";
import { proposerCell } from "./chain.js";

const WINDOW = 60; // blocks in the charts
const METAS_PER_CALL = 20; // what `blockchain` answers at most
const RATE_BLOCKS = 20; // tx/s over these
const LATEST = 10; // rows of the latest blocks

export async function overview(ctx) {
  ctx.main.append(heading("Overview"));
  const view = drawFrame(ctx.main);
  const [chain, figures] = await Promise.all([loadBlocks(ctx.rpc), loadFigures(ctx.rpc)]);
  const state = { blocks: chain.blocks, work: chain.work, samples: [] };
  showFigures(view, figures);
  sample(view, state, figures.summary);
  showBlocks(ctx, view, state);
  view.latest.replaceChildren(latestTable(ctx, state.blocks.slice(-LATEST).reverse()));
  follow(ctx, view, state);
  ctx.onCleanup(() => Object.values(view.charts).forEach((chart) => chart.destroy()));
}

// -- the page's parts ----------------------------------------------------------------------------

function drawFrame(main) {
  const tiles = {};
  const tile = (label, id) => {
    const element = stat(label, "…", id);
    tiles[id] = element.querySelector(".stat-value");
    return element;
  };
  const stats = h("div", { class: "stats", role: "group", "aria-label": "Chain figures" },
    tile("Height", "height"), tile("Last block", "block-time"), tile("Average block interval", "interval"),
    tile("Validators (bonded)", "validators"), tile(`Tx/s (last ${RATE_BLOCKS} blocks)`, "tx-rate"),
    tile("Open leases", "open-leases"), tile("GPUs offered", "gpus-offered"), tile("GPUs leased", "gpus-leased"),
    tile("Jobs verified", "jobs-verified"), tile("Slashes", "slashes"));
  const notes = h("div", { class: "overview-notes" });
  const charts = {
    interval: lineChart({ title: `Block interval, last ${WINDOW} blocks`, xLabel: "height", yLabel: "seconds",
      series: [{ label: "interval (s)" }] }, [[], []]),
    txs: lineChart({ title: `Txs per block (with its beacon entry), last ${WINDOW} blocks`, xLabel: "height",
      yLabel: "txs", series: [{ label: "txs" }] }, [[], []]),
    work: lineChart({ title: `Verified work per block, last ${WINDOW} blocks`, xLabel: "height",
      yLabel: "work units", series: [{ label: "work units" }] }, [[], []]),
    utilisation: lineChart({ title: "Utilisation (GPUs leased / offered), since this page opened", time: true,
      xLabel: "time", yLabel: "%", series: [{ label: "utilisation (%)" }] }, [[], []]),
  };
  const latest = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  main.append(stats, notes, section("Recent blocks", h("div", { class: "charts" },
    Object.values(charts).map((chart) => chart.element))), section("Latest blocks", latest));
  return { tiles, notes, charts, latest };
}

function setTile(view, id, value) {
  view.tiles[id].replaceChildren(value);
}

// -- blocks: figures and charts -------------------------------------------------------------------

// One block as the charts read it.
function blockOf(header, txs) {
  return {
    height: Number(header.height),
    timeMs: Date.parse(header.time),
    time: header.time,
    txs: Number(txs),
    proposer: header.proposer_address,
  };
}

// The last WINDOW blocks (oldest first) and the verified work in each.
async function loadBlocks(rpc) {
  const newest = await rpc.call("blockchain", {});
  const last = Number(newest.last_height);
  const first = Math.max(1, last - WINDOW + 1);
  const calls = [];
  for (let top = Number(newest.block_metas.at(-1)?.header.height ?? last + 1) - 1; top >= first;
    top -= METAS_PER_CALL) {
    calls.push(["blockchain", { minHeight: Math.max(first, top - METAS_PER_CALL + 1), maxHeight: top }]);
  }
  const older = await rpc.batch(calls);
  const metas = [newest, ...older].flatMap((answer) => (answer instanceof Error ? [] : answer.block_metas));
  const blocks = metas.map((meta) => blockOf(meta.header, meta.num_txs))
    .filter((block) => block.height >= first)
    .sort((a, b) => a.height - b.height);
  return { blocks, work: await loadWork(rpc, blocks.map((block) => block.height)) };
}

// Map height -> work units of the jobs found valid at that height. `block_events` gives the
// blocks' own events without their txs' results (block_results would be megabytes when busy).
async function loadWork(rpc, heights) {
  const verdicts = new Map();
  if (heights.length === 0) return verdicts;
  const found = await rpc.call("block_events", { minHeight: heights[0], maxHeight: heights.at(-1) });
  for (const block of found.blocks) verdicts.set(Number(block.height), validJobs(block.finalize_block_events));
  return workOf(rpc, verdicts);
}

// The ids of the jobs a block's events (a list, as block_events gives them) found valid.
function validJobs(events) {
  const ids = [];
  for (const event of events || []) {
    if (event.type !== "job_verdict") continue;
    const attribute = (key) => event.attributes.find((a) => a.key === key)?.value;
    if (attribute("verdict") === "valid") ids.push(attribute("job_id"));
  }
  return ids;
}

// The same from a NewBlock event's map (type.key -> values, one per event, in order).
function validJobsOfMap(events) {
  const verdicts = events["job_verdict.verdict"] || [];
  const ids = events["job_verdict.job_id"] || [];
  return ids.filter((_, index) => verdicts[index] === "valid");
}

// Work units per height, given the valid jobs' ids per height.
async function workOf(rpc, verdicts) {
  const ids = [...new Set([...verdicts.values()].flat())];
  const jobs = await rpc.batch(ids.map((id) => ["job", { id: Number(id) }]));
  const units = new Map(ids.map((id, index) => [id, jobs[index] instanceof Error ? 0 : Number(jobs[index].job.work_units)]));
  const work = new Map();
  for (const [height, found] of verdicts) work.set(height, found.reduce((sum, id) => sum + units.get(id), 0));
  return work;
}

function showBlocks(ctx, view, state) {
  const { blocks } = state;
  const last = blocks.at(-1);
  if (!last) return;
  setTile(view, "height", blockLink(last.height));
  setTile(view, "block-time", fmtTime(last.time));
  setTile(view, "interval", blocks.length > 1
    ? `${((last.timeMs - blocks[0].timeMs) / 1000 / (blocks.length - 1)).toFixed(2)} s` : "—");
  setTile(view, "tx-rate", txRate(blocks));
  const heights = blocks.map((block) => block.height);
  const intervals = blocks.map((block, index) =>
    (index > 0 && blocks[index - 1].height === block.height - 1 ? (block.timeMs - blocks[index - 1].timeMs) / 1000 : null));
  view.charts.interval.update([heights, intervals]);
  view.charts.txs.update([heights, blocks.map((block) => block.txs)]);
  view.charts.work.update([heights, heights.map((height) => state.work.get(height) ?? null)]);
}

// Txs per second over the last RATE_BLOCKS blocks: their txs over the time since the block before.
function txRate(blocks) {
  const span = blocks.slice(-(RATE_BLOCKS + 1));
  if (span.length < 2) return "—";
  const seconds = (span.at(-1).timeMs - span[0].timeMs) / 1000;
  const txs = span.slice(1).reduce((sum, block) => sum + block.txs, 0);
  return seconds > 0 ? (txs / seconds).toFixed(2) : "—";
}

// -- figures from summary and validators ---------------------------------------------------------

async function loadFigures(rpc) {
  const [summary, validators] = await rpc.batch([["summary", {}], ["validators", { per_page: 1 }]]);
  return { summary, validators };
}

const sum = (values) => values.reduce((total, value) => total + Number(value || 0), 0);

// GPUs offered and leased over every class.
function gpus(summary) {
  const classes = summary.market.classes || [];
  return { offered: sum(classes.map((c) => c.offered)), leased: sum(classes.map((c) => c.leased)) };
}

// Slashes of every reason. Each is counted once: providers' collateral by the compute module,
// validators' stake (committee members' attestations included) by x/slashing.
function slashCount(summary) {
  const counts = [summary.compute.provider_slashes || {}, summary.slashing.slashes || {}];
  return sum(counts.flatMap((byReason) => Object.values(byReason)));
}

function showFigures(view, { summary, validators }) {
  setTile(view, "validators", validators instanceof Error ? "—" : fmtInt(validators.total));
  if (summary instanceof Error) {
    for (const id of ["open-leases", "gpus-offered", "gpus-leased", "jobs-verified", "slashes"]) setTile(view, id, "—");
    view.notes.replaceChildren(errorBox(`Market and compute figures are unavailable: ${summary.message}`));
    return;
  }
  view.notes.replaceChildren();
  const { offered, leased } = gpus(summary);
  const slashes = slashCount(summary);
  setTile(view, "open-leases", fmtInt(summary.market.leases.active));
  setTile(view, "gpus-offered", fmtInt(offered));
  setTile(view, "gpus-leased", fmtInt(leased));
  setTile(view, "jobs-verified", fmtInt(summary.compute.jobs.valid));
  setTile(view, "slashes", fmtInt(slashes));
}

// One utilisation sample (percent of offered GPUs leased), kept while the page is open.
function sample(view, state, summary) {
  if (summary instanceof Error) return;
  const { offered, leased } = gpus(summary);
  state.samples.push([Date.now() / 1000, offered ? (100 * leased) / offered : 0]);
  if (state.samples.length > 10 * WINDOW) state.samples.shift();
  view.charts.utilisation.update([state.samples.map((s) => s[0]), state.samples.map((s) => Number(s[1].toFixed(2)))]);
}

// -- latest blocks --------------------------------------------------------------------------------

function latestRow(ctx, block) {
  return [blockLink(block.height), new Date(block.timeMs).toLocaleTimeString(), fmtInt(block.txs),
    proposerCell(ctx.rpc, block.proposer)];
}

function latestTable(ctx, blocks) {
  return table(["Height", "Time", "Txs", "Proposer"], blocks.map((block) => latestRow(ctx, block)),
    `The latest ${LATEST} blocks, newest first`);
}

function prependLatest(ctx, view, block) {
  const body = view.latest.querySelector("tbody");
  if (!body) return;
  const row = h("tr", {}, latestRow(ctx, block).map((cell) => h("td", {}, cell)));
  body.prepend(row);
  while (body.rows.length > LATEST) body.lastElementChild.remove();
}

// -- live ----------------------------------------------------------------------------------------

// Blocks are taken one at a time, in order; blocks missed (before the subscription started, or
// while the connection was down) are read from `blockchain` first.
function follow(ctx, view, state) {
  let queue = Promise.resolve();
  ctx.onBlock((event) => {
    queue = queue.then(() => onBlock(ctx, view, state, event))
      .catch((error) => console.warn("the overview missed a block", error));
  });
}

async function onBlock(ctx, view, state, event) {
  const { block } = event.data.value;
  const latest = blockOf(block.header, (block.data.txs || []).length);
  const last = state.blocks.at(-1)?.height ?? latest.height - 1;
  if (latest.height <= last) return;
  const missed = await loadMissed(ctx.rpc, last + 1, latest.height - 1);
  const verdicts = new Map([[latest.height, validJobsOfMap(event.events || {})]]);
  const [work, figures] = await Promise.all([workOf(ctx.rpc, verdicts), loadFigures(ctx.rpc)]);
  if (!ctx.isCurrent()) return;
  for (const found of [...missed.blocks, latest]) {
    state.blocks.push(found);
    prependLatest(ctx, view, found);
  }
  while (state.blocks.length > WINDOW) state.blocks.shift();
  for (const [height, units] of [...missed.work, ...work]) state.work.set(height, units);
  for (const height of state.work.keys()) if (height < state.blocks[0].height) state.work.delete(height);
  showBlocks(ctx, view, state);
  showFigures(view, figures);
  sample(view, state, figures.summary);
}

// The blocks from `first` to `last` (the newest METAS_PER_CALL of them at most), oldest first.
async function loadMissed(rpc, first, last) {
  if (last < first) return { blocks: [], work: new Map() };
  const answer = await rpc.call("blockchain", { minHeight: Math.max(first, last - METAS_PER_CALL + 1), maxHeight: last });
  const blocks = answer.block_metas.map((meta) => blockOf(meta.header, meta.num_txs)).reverse();
  return { blocks, work: await loadWork(rpc, blocks.map((found) => found.height)) };
}
