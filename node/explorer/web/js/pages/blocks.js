// Blocks: the list, newest first, and one block in detail.
//
// The list reads `blockchain` (20 metas a call): a page is `blocks?to=H` (the blocks up to
// height H), "Next" goes to older heights, and the newest page takes new blocks as they come.
// A block's page reads `block` (header, evidence), `block_events` (the finalize-block events,
// without the txs' results that make `block_results` megabytes for a full block),
// `decoded_txs "tx.height=H"` (its txs with their messages, a page at a time) and the
// proposer's validator through `validator_staking {cons_address}`.

import {
  blockLink, details, errorBox, fmtInt, fmtTime, h, heading, link, pagedTable, paths, section,
  short, table, txLink,
} from "../ui.js";
import {
  eventsTable, isNotFound, messageTypes, pager, proposerCell, resultBadge, withQuery,
} from "./chain.js";

const PAGE = 20; // what one `blockchain` call answers
const TX_PAGE = 25;

// -- the list -------------------------------------------------------------------------------------

export async function list(ctx) {
  const to = heightParam(ctx.query.get("to"));
  ctx.main.append(heading("Blocks"));
  const answer = await ctx.rpc.call("blockchain", to === null ? {} : { maxHeight: to });
  const metas = answer.block_metas;
  const rows = metas.map((meta) => blockRow(ctx, meta.header, meta.num_txs, meta.block_id.hash));
  const view = table(["Height", "Time", "Txs", "Proposer", "Hash"], rows,
    to === null ? "The newest blocks; new ones appear at the top" : `Blocks up to height ${fmtInt(to)}`);
  const lowest = metas.length ? Number(metas.at(-1).header.height) : 1;
  const newer = to === null ? null : Math.min(Number(answer.last_height), to + PAGE);
  const nav = pager({
    first: to === null ? null : "blocks",
    previous: to === null ? null : withQuery("blocks", { to: newer >= Number(answer.last_height) ? null : newer }),
    next: lowest > 1 ? withQuery("blocks", { to: lowest - 1 }) : null,
  });
  ctx.main.append(view, nav);
  if (to === null) followNewest(ctx, view.querySelector("tbody"), nav, Number(answer.last_height));
}

function heightParam(text) {
  if (!text || !/^\d+$/.test(text)) return null;
  return Math.max(1, Number(text));
}

function blockRow(ctx, header, numTxs, hash) {
  return [blockLink(header.height), fmtTime(header.time), fmtInt(numTxs),
    proposerCell(ctx.rpc, header.proposer_address),
    link(paths.block(header.height), short(hash, 8), { class: "mono", title: hash, "aria-label": `block ${header.height}` })];
}

// New blocks go on top of the newest page, which keeps its length; "Next" follows the lowest
// height shown.
function followNewest(ctx, body, nav, lastHeight) {
  let last = lastHeight;
  ctx.onBlock((event) => {
    const { block, block_id: id } = event.data.value;
    const height = Number(block.header.height);
    if (height <= last) return;
    last = height;
    const cells = blockRow(ctx, block.header, (block.data.txs || []).length, id.hash);
    body.prepend(h("tr", {}, cells.map((cell) => h("td", {}, cell))));
    while (body.rows.length > PAGE) body.lastElementChild.remove();
    const next = nav.querySelector('a[rel="next"]');
    if (next) next.setAttribute("href", withQuery("blocks", { to: height - body.rows.length }));
  });
}

// -- one block ------------------------------------------------------------------------------------

export async function detail(ctx) {
  const height = ctx.params.height;
  ctx.main.append(heading(`Block ${/^\d+$/.test(height) ? fmtInt(height) : height}`));
  if (!/^\d+$/.test(height) || Number(height) < 1) {
    ctx.main.append(errorBox(`"${height}" is not a block height.`));
    return;
  }
  const [found, results, next] = await ctx.rpc.batch([
    ["block", { height: Number(height) }],
    ["block_events", { minHeight: Number(height), maxHeight: Number(height) }],
    ["header", { height: Number(height) + 1 }],
  ]);
  if (found instanceof Error) {
    ctx.main.append(errorBox(isMissing(found) ? `Block ${height} not found.` : found));
    return;
  }
  const neighbours = h("nav", { class: "pager", "aria-label": "Neighbouring blocks" });
  ctx.main.append(neighbours, headerDetails(ctx, found),
    section("Transactions", txsTable(ctx, Number(height))),
    section("Finalize-block events", results instanceof Error ? errorBox(results)
      : eventsTable(results.blocks[0]?.finalize_block_events ?? [], "Events of the block's begin and end steps")));
  showNeighbours(neighbours, Number(height), !(next instanceof Error));
  if (next instanceof Error) {
    ctx.onBlock((event) => {
      if (Number(event.data.value.block.header.height) > Number(height)) showNeighbours(neighbours, Number(height), true);
    });
  }
}

function isMissing(error) {
  return isNotFound(error) || error.code === -32002; // below the earliest or above the latest
}

function showNeighbours(nav, height, hasNext) {
  nav.replaceChildren(
    height > 1 ? link(paths.block(height - 1), `← Block ${fmtInt(height - 1)}`) : h("span", { class: "muted" }, "First block"),
    hasNext ? link(paths.block(height + 1), `Block ${fmtInt(height + 1)} →`) : h("span", { class: "muted" }, "Latest block"));
}

function headerDetails(ctx, found) {
  const { header } = found.block;
  const evidence = (found.block.evidence && found.block.evidence.evidence) || [];
  const signatures = (found.block.last_commit && found.block.last_commit.signatures) || [];
  return details([
    ["Height", fmtInt(header.height)],
    ["Hash", h("span", { class: "mono" }, found.block_id.hash)],
    ["Time", fmtTime(header.time)],
    ["Chain", header.chain_id],
    ["Proposer", proposerCell(ctx.rpc, header.proposer_address)],
    ["Transactions", fmtInt((found.block.data.txs || []).length)],
    ["App hash", h("span", { class: "mono" }, header.app_hash)],
    ["Previous block", header.last_block_id.hash ? h("span", { class: "mono" }, header.last_block_id.hash) : "—"],
    ["Data hash", h("span", { class: "mono" }, header.data_hash)],
    ["Validators hash", h("span", { class: "mono" }, header.validators_hash)],
    ["Results hash", h("span", { class: "mono" }, header.last_results_hash)],
    ["Last commit signatures", fmtInt(signatures.filter((s) => s.signature).length)],
    ["Evidence", fmtInt(evidence.length)],
  ]);
}

// The block's txs, TX_PAGE at a time (the key is the page number).
function txsTable(ctx, height) {
  return pagedTable({
    columns: ["Hash", "Messages", "Result", "Gas used / wanted"],
    caption: `Transactions in block ${fmtInt(height)}`,
    emptyText: "No transactions.",
    load: async (key) => {
      const page = key || 1;
      const answer = await ctx.rpc.call("decoded_txs",
        { query: `tx.height=${height}`, page, per_page: TX_PAGE, order_by: "asc" });
      const rows = answer.tx_responses.map((response) => [
        txLink(response.txhash), messageTypes(response.tx),
        resultBadge(response.code, response.codespace),
        `${fmtInt(response.gas_used)} / ${fmtInt(response.gas_wanted)}`,
      ]);
      return { rows, next: page * TX_PAGE < Number(answer.total) ? page + 1 : null };
    },
  });
}
