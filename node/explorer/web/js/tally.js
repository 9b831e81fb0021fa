// A governance tally as the pages show it: the four options' voting power, their shares and
// the stacked bar drawn from them.
//
// Voting power is a count of bonded tokens and may pass 2^53, so shares are worked out in
// BigInt and rounded half up; a bar's widths alone go through floating point. The params'
// fractions are Cosmos decimals (18 places), read exactly too. Every bar carries its figures
// as text (its accessible name and its title): colour is never the only way to read it.

import { h } from "./ui.js";

// The options in Mintscan's order: [key, label, the tally answer's field, the vote's name].
export const OPTIONS = [
  ["yes", "Yes", "yes_count", "VOTE_OPTION_YES"],
  ["no", "No", "no_count", "VOTE_OPTION_NO"],
  ["veto", "No with veto", "no_with_veto_count", "VOTE_OPTION_NO_WITH_VETO"],
  ["abstain", "Abstain", "abstain_count", "VOTE_OPTION_ABSTAIN"],
];

const DEC_PLACES = 18;
const ONE = 10n ** BigInt(DEC_PLACES);

// A whole count ("123", 123 or "123.9", truncated) as a BigInt; anything else as 0.
export function toBig(value) {
  const match = /^\s*(\d+)(?:\.\d*)?\s*$/.exec(String(value ?? ""));
  return match ? BigInt(match[1]) : 0n;
}

// A tally answer ({yes_count, …}) as {yes, no, veto, abstain} BigInts.
export function countsOf(tally) {
  return Object.fromEntries(OPTIONS.map(([key, , field]) => [key, toBig(tally && tally[field])]));
}

export function votesCast(counts) {
  return OPTIONS.reduce((sum, [key]) => sum + counts[key], 0n);
}

// part / whole as a percentage with `digits` decimals (at least 1), rounded half up; "—" for
// a whole of 0.
export function fmtShare(part, whole, digits = 2) {
  if (whole <= 0n) return "—";
  const scaled = (part * 10n ** BigInt(digits + 2) * 2n + whole) / (2n * whole);
  const text = scaled.toString().padStart(digits + 1, "0");
  return `${text.slice(0, -digits)}.${text.slice(-digits)}%`;
}

// A Cosmos decimal ("0.334000000000000000") as its atomics (× 10^18), or null if malformed.
export function decAtomics(text) {
  const match = /^(\d+)(?:\.(\d{0,18}))?$/.exec(String(text ?? ""));
  if (!match) return null;
  return BigInt(match[1]) * ONE + BigInt((match[2] || "").padEnd(DEC_PLACES, "0"));
}

// A Cosmos decimal as a percentage: "0.334000000000000000" as "33.4%".
export function fmtDecPercent(text) {
  const atomics = decAtomics(text);
  if (atomics === null) return String(text ?? "—");
  return fmtShare(atomics, ONE, 2).replace(/\.?0+%$/, "%");
}

// Whether part / whole is at least (or, `strictly`, above) the decimal `fraction`.
export function reaches(part, whole, fraction, strictly = false) {
  const atomics = decAtomics(fraction);
  if (atomics === null || whole <= 0n) return null;
  const left = part * ONE;
  const right = atomics * whole;
  return strictly ? left > right : left >= right;
}

// The figures in words: "Yes 70.00%, No 20.00%, …" of `whole` (the votes cast by default).
export function tallyText(counts, whole = votesCast(counts)) {
  if (whole <= 0n) return "No votes";
  return OPTIONS.map(([key, label]) => `${label} ${fmtShare(counts[key], whole)}`).join(", ");
}

// A stacked bar of the options' shares of `whole` (the votes cast, or the bonded stake, when
// what is left blank is the stake that did not vote); `marks` are [fraction (Cosmos decimal),
// label] lines across it, such as the quorum.
export function tallyBar(counts, { whole = votesCast(counts), of = "of the votes cast", marks = [] } = {}) {
  const text = whole > 0n ? `${tallyText(counts, whole)} ${of}` : "No votes yet";
  const marksText = marks.map(([fraction, label]) => `${label} at ${fmtDecPercent(fraction)}`).join(", ");
  const name = marksText ? `${text}; ${marksText}` : text;
  const bar = h("span", { class: "tally-bar", role: "img", "aria-label": name, title: name });
  if (whole > 0n) {
    for (const [key] of OPTIONS) {
      const width = Number((counts[key] * 100000n) / whole) / 1000;
      if (width > 0) bar.append(h("span", { class: `tally-part ${key}`, style: `width: ${width}%` }));
    }
  }
  for (const [fraction] of marks) {
    const atomics = decAtomics(fraction);
    if (atomics === null) continue;
    const left = Math.min(100, Number((atomics * 100000n) / ONE) / 1000);
    bar.append(h("span", { class: "tally-mark", style: `left: ${left}%` }));
  }
  return bar;
}

// The bar in a list row, with the leading option in text beside it.
export function compactTally(counts) {
  const whole = votesCast(counts);
  if (whole <= 0n) return h("span", { class: "tally-cell" }, tallyBar(counts), h("span", { class: "muted" }, "no votes"));
  const [key, label] = OPTIONS.reduce((best, option) => (counts[option[0]] > counts[best[0]] ? option : best));
  return h("span", { class: "tally-cell" }, tallyBar(counts),
    h("span", { class: "tally-lead" }, `${label} ${fmtShare(counts[key], whole, 1)}`));
}

// A legend of the bar's colours, each with its option's name.
export function tallyLegend() {
  return h("ul", { class: "tally-legend" }, OPTIONS.map(([key, label]) =>
    h("li", {}, h("span", { class: `tally-swatch ${key}`, "aria-hidden": "true" }), label)));
}
