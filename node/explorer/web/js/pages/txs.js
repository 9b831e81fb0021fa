// Transactions: the latest, newest first, and one tx in detail.
//
// The list reads `decoded_txs` with "tx.height>0" (every committed tx; each block's beacon
// entry is one) or, filtered by the module of its messages, "message.module='M'"; the page
// and the filter are in the URL (`txs?module=market&page=2`). The newest page takes the txs
// of each new block as it comes. A tx's page reads `decoded_tx`: its messages decoded, fee,
// memo, result and events.

import {
  blockLink, details, errorBox, fmtCoins, fmtInt, fmtTime, h, heading, section, short, table, txLink,
} from "../ui.js";
import {
  addressLink, eventsTable, isNotFound, messageTypes, messageView, pageNumber, pager, resultBadge, senders,
  withQuery,
} from "./chain.js";

const PAGE = 20;
// The modules whose messages txs carry, as `message.module` names them.
const MODULES = ["bank", "staking", "distribution", "slashing", "provider", "market", "compute", "auth", "mint"];

// -- the list -------------------------------------------------------------------------------------

export async function list(ctx) {
  const module = MODULES.includes(ctx.query.get("module")) ? ctx.query.get("module") : "";
  const page = pageNumber(ctx.query);
  ctx.main.append(heading("Transactions"), moduleFilter(ctx, module));
  const query = module ? `message.module='${module}'` : "tx.height>0";
  const answer = await ctx.rpc.call("decoded_txs", { query, page, per_page: PAGE, order_by: "desc" });
  const total = Number(answer.total);
  const view = answer.tx_responses.length
    ? table(COLUMNS, answer.tx_responses.map(txRow), caption(module, page))
    : h("p", { class: "muted empty" }, "No transactions.");
  const pages = Math.max(1, Math.ceil(total / PAGE));
  ctx.main.append(view, pager({
    first: page > 1 ? withQuery("txs", { module }) : null,
    previous: page > 1 ? withQuery("txs", { module, page: page - 1 }) : null,
    next: page < pages ? withQuery("txs", { module, page: page + 1 }) : null,
    label: `page ${fmtInt(page)} of ${fmtInt(pages)}${total >= 10000 ? "+" : ""}`,
  }));
  const body = view.querySelector("tbody");
  if (page === 1 && body) followNewest(ctx, body, module);
}

const COLUMNS = ["Hash", "Height", "Time", "Messages", "Sender", "Result"];

function caption(module, page) {
  const what = module ? `Transactions with ${module} messages` : "Transactions";
  return page === 1 ? `${what}, newest first; new ones appear at the top` : `${what}, newest first`;
}

function moduleFilter(ctx, module) {
  const select = h("select", { id: "tx-module", name: "module" },
    h("option", { value: "" }, "all, with beacon entries"),
    MODULES.map((name) => h("option", { value: name, selected: name === module }, name)));
  const apply = (event) => {
    event.preventDefault();
    ctx.navigate(withQuery("txs", { module: select.value }));
  };
  return h("form", { class: "filters", onsubmit: apply },
    h("label", { for: "tx-module" }, "Messages of module", select), h("button", { type: "submit" }, "Apply"));
}

function txRow(response) {
  const from = senders(response.events);
  return [txLink(response.txhash), blockLink(response.height), fmtTime(response.timestamp),
    messageTypes(response.tx), from.length ? addressLink(from[0]) : "—",
    resultBadge(response.code, response.codespace)];
}

// The txs of each new block go on top of the newest page, which keeps its length.
function followNewest(ctx, body, module) {
  let last = 0;
  let queue = Promise.resolve();
  ctx.onBlock((event) => {
    const height = Number(event.data.value.block.header.height);
    if (height <= last || (event.data.value.block.data.txs || []).length === 0) return;
    last = height;
    queue = queue.then(async () => {
      const query = module ? `message.module='${module}' AND tx.height=${height}` : `tx.height=${height}`;
      const answer = await ctx.rpc.call("decoded_txs", { query, per_page: PAGE, order_by: "desc" });
      if (!ctx.isCurrent()) return;
      for (const response of answer.tx_responses.slice().reverse()) {
        body.prepend(h("tr", {}, txRow(response).map((cell) => h("td", {}, cell))));
      }
      while (body.rows.length > PAGE) body.lastElementChild.remove();
    }).catch((error) => console.warn("the tx list missed a block", error));
  });
}

// -- one tx ---------------------------------------------------------------------------------------

export async function detail(ctx) {
  const hash = ctx.params.hash.replace(/^0x/i, "").toUpperCase();
  ctx.main.append(heading("Transaction", " ", h("span", { class: "mono", title: hash }, short(hash, 10))));
  if (!/^[0-9A-F]{64}$/.test(hash)) {
    ctx.main.append(errorBox(`"${ctx.params.hash}" is not a transaction hash (64 hex digits).`));
    return;
  }
  let found;
  try {
    found = await ctx.rpc.call("decoded_tx", { hash });
  } catch (error) {
    ctx.main.append(errorBox(isNotFound(error) ? `Transaction ${hash} not found.` : error));
    return;
  }
  const { tx, tx_response: response } = found;
  const messages = tx.body.messages;
  ctx.main.append(summary(tx, response),
    section(`Messages (${messages.length})`, messages.length
      ? messages.map((message, index) => messageView(message, index))
      : h("p", {}, "This is the block proposer's beacon entry: it carries the proposer's reveal for the randomness beacon, not messages.")),
    section("Events", eventsTable(response.events, "Events the tx emitted, in order")));
}

function summary(tx, response) {
  const fee = tx.auth_info.fee;
  const from = senders(response.events);
  return details([
    ["Hash", h("span", { class: "mono" }, response.txhash)],
    ["Height", blockLink(response.height)],
    ["Time", fmtTime(response.timestamp)],
    ["Result", resultBadge(response.code, response.codespace)],
    ["Log", response.raw_log || undefined],
    ["Gas used / wanted", `${fmtInt(response.gas_used)} / ${fmtInt(response.gas_wanted)}`],
    ["Fee", fee ? fmtCoins(fee.amount) : "—"],
    ["Memo", tx.body.memo || "—"],
    ["Signers", from.length ? from.map((address, index) => [index ? ", " : "", addressLink(address)]) : "—"],
  ]);
}
