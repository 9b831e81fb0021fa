// Building blocks of the pages: elements, formatting, links, detail lists and paged tables.
//
// Pages build the DOM with `h`, which sets text with textContent: nothing the chain holds is
// ever parsed as HTML.

export const DENOM = "udepin";
const DISPLAY_DENOM = "DEPIN";
const DECIMALS = 6n;

// An element: h("a", {href: "blocks/5"}, "block 5"). Attributes whose value is null,
// undefined or false are left out; "class" and "data-*" work as written; functions under
// "on…" names become event listeners.
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
}

// -- formatting ---------------------------------------------------------------------------------

// "1234567" udepin as "1.234567 DEPIN"; other denoms as written.
export function fmtCoin(amount, denom = DENOM) {
  if (amount === null || amount === undefined || amount === "") return "—";
  const text = String(amount);
  if (denom !== DENOM || !/^\d+(\.\d+)?$/.test(text)) return `${text} ${denom}`;
  const whole = BigInt(text.split(".")[0]);
  const scale = 10n ** DECIMALS;
  const units = whole / scale;
  const fraction = (whole % scale).toString().padStart(Number(DECIMALS), "0").replace(/0+$/, "");
  return `${fmtInt(units)}${fraction ? "." + fraction : ""} ${DISPLAY_DENOM}`;
}

// A list of {denom, amount} as "1.5 DEPIN, 3 uatom".
export function fmtCoins(coins) {
  if (!coins || coins.length === 0) return "—";
  return coins.map((coin) => fmtCoin(coin.amount, coin.denom)).join(", ");
}

// An integer (number, bigint or decimal string) with thousands separators.
export function fmtInt(value) {
  if (value === null || value === undefined || value === "") return "—";
  const text = String(value);
  if (!/^-?\d+$/.test(text)) return text;
  return text.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

// A fraction 0..1 (number or decimal string) as a percentage.
export function fmtPercent(value, digits = 1) {
  const number = Number(value);
  return Number.isFinite(number) ? `${(number * 100).toFixed(digits)}%` : "—";
}

// An RFC 3339 time as local date and time, with how long ago.
export function fmtTime(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return `${date.toLocaleString()} (${ago(date)})`;
}

export function ago(date) {
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  if (seconds < 2) return "just now";
  if (seconds < 90) return `${seconds} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 129600) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

// A long hash or address shortened in the middle; the whole value stays in the title.
export function short(value, keep = 8) {
  const text = String(value ?? "");
  return text.length <= keep * 2 + 1 ? text : `${text.slice(0, keep)}…${text.slice(-keep)}`;
}

// -- links: every route's URL is built here --------------------------------------------------

export const paths = {
  block: (height) => `blocks/${height}`,
  tx: (hash) => `txs/${String(hash).toUpperCase()}`,
  validator: (operator) => `validators/${operator}`,
  account: (address) => `account/${address}`,
  provider: (address) => `providers/${address}`,
  offer: (id) => `market/offers/${id}`,
  order: (id) => `market/orders/${id}`,
  lease: (id) => `market/leases/${id}`,
  job: (id) => `jobs/${id}`,
  proposal: (id) => `proposals/${id}`,
};

// A link inside the explorer (handled by the router without a reload).
export function link(path, text, attrs = {}) {
  return h("a", { href: path, "data-nav": true, ...attrs }, text);
}

export function blockLink(height) {
  return link(paths.block(height), fmtInt(height));
}

export function txLink(hash, keep = 8) {
  return link(paths.tx(hash), short(hash, keep), { title: hash, class: "mono" });
}

export function accountLink(address, keep = 10) {
  if (!address) return "—";
  return link(paths.account(address), short(address, keep), { title: address, class: "mono" });
}

// "#5", named "proposal 5" for screen readers.
export function proposalLink(id) {
  return link(paths.proposal(id), `#${id}`, { "aria-label": `proposal ${id}` });
}

export function validatorLink(operator, text) {
  return link(paths.validator(operator), text || short(operator, 10), { title: operator });
}

// -- structure ----------------------------------------------------------------------------------

// A page's heading; the router moves focus to <main>, and screen readers announce the title.
export function heading(text, ...extra) {
  document.title = `${text} · depind explorer`;
  return h("h1", {}, text, ...extra);
}

export function section(title, ...children) {
  return h("section", {}, h("h2", {}, title), ...children);
}

// A detail list of [label, value] rows; a row whose value is undefined is left out.
export function details(rows) {
  const list = h("dl", { class: "details" });
  for (const [label, value] of rows) {
    if (value === undefined) continue;
    list.append(h("dt", {}, label), h("dd", {}, value === null || value === "" ? "—" : value));
  }
  return list;
}

// Small labelled figures, as the overview's tiles.
export function stat(label, value, id) {
  return h("div", { class: "stat" }, h("span", { class: "stat-label" }, label),
    h("span", { class: "stat-value", id, "data-stat": id }, value));
}

export function badge(text, kind = "") {
  return h("span", { class: `badge ${kind}`.trim() }, text);
}

export function empty(text) {
  return h("p", { class: "muted empty" }, text);
}

export function errorBox(error) {
  const message = error && error.message ? error.message : String(error);
  return h("p", { class: "error", role: "alert" }, message);
}

// A table of `rows` (arrays of cells) under `columns` (labels), scrolling sideways on a phone.
export function table(columns, rows, caption) {
  const head = h("thead", {}, h("tr", {}, columns.map((column) => h("th", { scope: "col" }, column))));
  const body = h("tbody", {}, rows.map((row) => h("tr", {}, row.map((cell) => h("td", {}, cell)))));
  return h("div", { class: "table-wrap" },
    h("table", {}, caption ? h("caption", {}, caption) : null, head, body));
}

// A table filled a page at a time by `load(key) -> {rows, next}`, where key is null for the
// first page and `next` is the key of the page after (null on the last). Earlier keys are kept
// so that "Previous" goes back without reloading from the start.
export function pagedTable({ columns, load, caption, emptyText = "Nothing yet." }) {
  const holder = h("div", { class: "paged" });
  const keys = [null];
  let index = 0;

  async function show() {
    holder.setAttribute("aria-busy", "true");
    let page;
    try {
      page = await load(keys[index]);
    } catch (error) {
      holder.replaceChildren(errorBox(error));
      holder.removeAttribute("aria-busy");
      return;
    }
    if (page.next) keys[index + 1] = page.next;
    const previous = h("button", { type: "button", disabled: index === 0 }, "Previous");
    const next = h("button", { type: "button", disabled: !page.next }, "Next");
    previous.addEventListener("click", () => { index -= 1; show(); });
    next.addEventListener("click", () => { index += 1; show(); });
    const body = page.rows.length ? table(columns, page.rows, caption) : empty(emptyText);
    const nav = h("div", { class: "pager" }, previous, h("span", { class: "muted" }, `page ${index + 1}`), next);
    holder.replaceChildren(body, page.next || index > 0 ? nav : "");
    holder.removeAttribute("aria-busy");
  }

  holder.refresh = show;
  show();
  return holder;
}

// Tabs as links to query strings, so that each tab has its own URL.
export function tabs(items, current) {
  return h("nav", { class: "tabs", "aria-label": "Views" },
    items.map(([key, label, href]) =>
      link(href, label, { "aria-current": key === current ? "page" : null })));
}
