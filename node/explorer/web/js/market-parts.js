// What the provider, market and job pages share: links to their records, GPU classes and
// prices as text, states as badges, block-time instants (the chain's nanoseconds), the escrow
// gauge, filter forms kept in the query string, and lists that follow the chain live.

import { withPrefix } from "./bech32.js";
import { badge, fmtCoin, fmtInt, fmtTime, h, link, pagedTable, paths, short, validatorLink } from "./ui.js";

const VALOPER = "depinvaloper";
const NS_PER_MS = 1000000n;
const LIVE_GAP_MS = 1000; // a list or figure refreshes at most once a second, however fast blocks come

// -- links --------------------------------------------------------------------------------------

export function providerLink(address, keep = 10) {
  if (!address) return "—";
  return link(paths.provider(address), short(address, keep), { title: address, class: "mono" });
}

export const offerLink = (id) => recordLink(paths.offer, "offer", id);
export const orderLink = (id) => recordLink(paths.order, "order", id);
export const leaseLink = (id) => recordLink(paths.lease, "lease", id);
export const jobLink = (id) => recordLink(paths.job, "job", id);

function recordLink(path, what, id) {
  if (!id || String(id) === "0") return "—";
  return link(path(id), `#${id}`, { "aria-label": `${what} ${id}` });
}

// A committee member, named by its operator's account, linked to its validator's page.
export function memberLink(account) {
  const operator = withPrefix(account, VALOPER);
  return operator ? validatorLink(operator, short(account, 10)) : account;
}

// -- text ---------------------------------------------------------------------------------------

export function fmtMemory(mib) {
  const gib = Number(mib) / 1024;
  return Number.isFinite(gib) ? `${gib.toFixed(gib < 10 ? 1 : 0)} GiB` : "—";
}

export function gpuClassText(gpuClass) {
  if (!gpuClass) return "—";
  return `${gpuClass.model} · ${fmtMemory(gpuClass.memory_mib)} · CC ${gpuClass.compute_capability}`;
}

// A per GPU-hour price in udepin.
export function fmtPrice(amount) {
  return `${fmtCoin(amount)} / GPU-h`;
}

// An offer's pricing: a fixed price, or a share of its class's reference price within bounds.
export function pricingText(pricing) {
  if (!pricing || !Number(pricing.factor_bps)) return fmtPrice(pricing ? pricing.price : null);
  const percent = (Number(pricing.factor_bps) / 100).toFixed(2).replace(/\.?0+$/, "");
  return `${percent}% of reference, ${fmtCoin(pricing.floor)} to ${fmtCoin(pricing.cap)}`;
}

// A large count with an SI prefix: 2.1 G.
export function fmtSi(value, unit = "") {
  const number = Number(value);
  if (!Number.isFinite(number)) return "—";
  const prefixes = ["", "k", "M", "G", "T", "P", "E"];
  let scaled = number;
  let index = 0;
  while (Math.abs(scaled) >= 1000 && index < prefixes.length - 1) {
    scaled /= 1000;
    index += 1;
  }
  const digits = index === 0 ? 0 : scaled < 10 ? 2 : scaled < 100 ? 1 : 0;
  return `${scaled.toFixed(digits)} ${prefixes[index]}${unit}`.trim();
}

export function fmtDuration(seconds) {
  const total = Number(seconds);
  if (!Number.isFinite(total)) return "—";
  if (total % 86400 === 0 && total >= 86400) return `${total / 86400} d`;
  if (total % 3600 === 0 && total >= 3600) return `${total / 3600} h`;
  if (total % 60 === 0 && total >= 60) return `${total / 60} min`;
  return `${fmtInt(total)} s`;
}

// A header time in nanoseconds since the epoch ("0" or missing: none), past or to come.
export function fmtNs(ns) {
  if (ns === null || ns === undefined || String(ns) === "0") return "—";
  const date = new Date(Number(BigInt(Math.trunc(Number(ns))) / NS_PER_MS));
  if (date.getTime() <= Date.now()) return fmtTime(date.toISOString());
  return `${date.toLocaleString()} (in ${fmtWait((date.getTime() - Date.now()) / 1000)})`;
}

function fmtWait(seconds) {
  if (seconds < 90) return `${Math.max(Math.round(seconds), 1)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 129600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

// Work in multiply-adds (what a job's work units count), and a rate of it.
export function fmtWork(units) {
  return `${fmtSi(units)} multiply-adds`;
}

export function fmtThroughput(perSecond) {
  return `${fmtSi(perSecond)} multiply-adds/s`;
}

export function yesNo(value) {
  return value ? "yes" : "no";
}

// -- states -------------------------------------------------------------------------------------

const GOOD = new Set(["active", "valid", "matched", "completed"]);
const BAD = new Set(["invalid", "provider_fault", "slashed", "insufficient_funds", "fraud"]);
const WARN = new Set(["pending", "paused", "open", "committed", "verifying", "unverified", "exiting", "expired"]);

export function stateBadge(state) {
  const name = String(state || "—");
  const kind = GOOD.has(name) ? "good" : BAD.has(name) ? "bad" : WARN.has(name) ? "warn" : "";
  return badge(name.replaceAll("_", " "), kind);
}

// -- the escrow gauge ---------------------------------------------------------------------------

// A lease's escrow left against its deposit, at the block `height` of the answer.
export function escrowGauge(remaining, deposit, height) {
  const max = Math.max(Number(deposit), 1);
  const text = `${fmtCoin(remaining)} of ${fmtCoin(deposit)} left`;
  return h("span", { class: "escrow" },
    h("meter", {
      class: "escrow-gauge", min: 0, max, value: Number(remaining), low: max / 5, high: max / 2, optimum: max,
      "aria-label": `Escrow: ${text}`, "data-height": height,
    }, text),
    h("span", { class: "escrow-text" }, text));
}

// -- filters in the query string ----------------------------------------------------------------

// A form of filters: fields are {name, label, type ("text", "number" or "select"), options
// ([value, label] pairs for a select), placeholder, list (datalist values)}; each shows the
// URL's value, and applying navigates to `path` with the new query, other parameters kept.
export function filterForm(ctx, path, fields) {
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filters" });
  for (const field of fields) form.append(filterField(ctx, field));
  form.append(h("button", { type: "submit" }, "Apply"));
  const clear = h("button", { type: "button", class: "secondary" }, "Clear");
  clear.addEventListener("click", () => ctx.navigate(withQuery(ctx, path, fields, () => "")));
  form.append(clear);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ctx.navigate(withQuery(ctx, path, fields, (name) => String(form.elements[name].value).trim()));
  });
  return form;
}

function filterField(ctx, field) {
  const id = `filter-${field.name}`;
  const value = ctx.query.get(field.name) || "";
  let input;
  if (field.type === "select") {
    input = h("select", { id, name: field.name },
      field.options.map(([option, label]) => h("option", { value: option, selected: option === value }, label)));
  } else {
    const listId = field.list ? `${id}-list` : null;
    input = h("input", {
      id, name: field.name, type: field.type || "text", value, placeholder: field.placeholder,
      list: listId, min: field.type === "number" ? 0 : null, step: field.step, inputmode: field.inputmode,
    });
    if (listId) input = [input, h("datalist", { id: listId }, field.list.map((item) => h("option", { value: item })))];
  }
  return h("label", { for: id }, field.label, input);
}

function withQuery(ctx, path, fields, valueOf) {
  const query = new URLSearchParams(ctx.query);
  for (const field of fields) {
    const value = valueOf(field.name);
    if (value) query.set(field.name, value);
    else query.delete(field.name);
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

// -- live ---------------------------------------------------------------------------------------

// Runs `refresh` on new blocks while the page is open: one at a time, at most once a second.
export function refreshOnBlock(ctx, refresh) {
  let busy = false;
  let last = 0;
  ctx.onBlock(async (event) => {
    if (busy || Date.now() - last < LIVE_GAP_MS || !ctx.isCurrent()) return;
    busy = true;
    last = Date.now();
    try {
      await refresh(event);
    } catch (error) {
      console.warn("a live refresh failed", error);
    } finally {
      busy = false;
    }
  });
}

// A paged table (ui.js pagedTable) whose first page follows the chain while the reader is on
// it; it waits while the keyboard focus is inside the table, so a refresh never takes it away.
export function livePagedTable(ctx, options) {
  let onFirst = true;
  const table = pagedTable({
    ...options,
    load: (key) => {
      onFirst = key === null;
      return options.load(key);
    },
  });
  refreshOnBlock(ctx, async () => {
    if (onFirst && !table.contains(document.activeElement)) await table.refresh();
  });
  return table;
}

// One page of a node list query (`limit` / `next_key`) as pagedTable wants it.
export async function nodePage(rpc, method, params, key, field, row) {
  const answer = await rpc.call(method, { ...params, limit: PAGE_SIZE, next_key: key || "" });
  return { rows: answer[field].map(row), next: answer.next_key || null };
}

export const PAGE_SIZE = 20;
