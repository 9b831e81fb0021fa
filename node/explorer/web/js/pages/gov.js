// Governance: the proposals (`gov_proposals`, paged in id order, filtered by status in the query
// string) and one proposal's page.
//
// A row's tally is the proposal's final tally once it ended and, while it is voting, the votes
// counted now (`gov_tally`, one batch per page); a proposal in its deposit period has none.
// A proposal's page shows its record (`gov_proposal`), its deposit against the minimum and the
// quorum and thresholds (`gov_params`), its tally against the votes cast and, while it is
// voting, against the bonded stake (`staking_pool`), its messages as the node decodes them,
// its votes and its deposits (`gov_votes`, `gov_deposits`, paged). While the proposal is active
// the record, the tally and the first page of each list follow the chain, at most once a
// second; once it ended nothing is read again, since nothing of it changes. The chain keeps
// votes and deposits only while a proposal is active, so an ended one shows its final tally
// and says so in place of them.
//
// Titles, summaries and metadata are whatever their proposer wrote: they are set as text
// (ui.js `h`), never parsed as HTML.

import { filterForm, livePagedTable, yesNo } from "../market-parts.js";
import {
  OPTIONS, compactTally, countsOf, fmtDecPercent, fmtShare, reaches, tallyBar, tallyLegend, toBig, votesCast,
} from "../tally.js";
import {
  accountLink, badge, blockLink, details, empty, errorBox, fmtCoin, fmtCoins, fmtInt, fmtTime, h, heading,
  pagedTable, proposalLink, section, table,
} from "../ui.js";
import { isNotFound, liveSection } from "./chain.js";

const PAGE_SIZE = 20;
const VOTING = "PROPOSAL_STATUS_VOTING_PERIOD";
const DEPOSIT = "PROPOSAL_STATUS_DEPOSIT_PERIOD";
// [the URL's word, the node's status, its label, its badge's kind]
const STATUSES = [
  ["deposit", DEPOSIT, "deposit period", ""],
  ["voting", VOTING, "voting period", "info"],
  ["passed", "PROPOSAL_STATUS_PASSED", "passed", "good"],
  ["rejected", "PROPOSAL_STATUS_REJECTED", "rejected", "bad"],
  ["failed", "PROPOSAL_STATUS_FAILED", "failed", "bad"],
];
const VOTE_LABELS = Object.fromEntries(OPTIONS.map(([, label, , name]) => [name, label]));

function isActive(proposal) {
  return proposal.status === DEPOSIT || proposal.status === VOTING;
}

function statusBadge(status) {
  const found = STATUSES.find(([, name]) => name === status);
  return found ? badge(found[2], found[3]) : badge(String(status).replace(/^PROPOSAL_STATUS_/, "").toLowerCase());
}

// -- the list -------------------------------------------------------------------------------------

export async function list(ctx) {
  const wanted = STATUSES.find(([word]) => word === ctx.query.get("status"));
  const options = [["", "any"], ...STATUSES.map(([word, , label]) => [word, label])];
  const proposals = livePagedTable(ctx, {
    columns: ["Proposal", "Title", "Status", "Submitted at", "Ends at height", "Tally"],
    caption: wanted ? `Proposals in status ${wanted[2]}, oldest first` : "Proposals, oldest first",
    emptyText: wanted ? "No proposal is in this status." : "No proposal was submitted yet.",
    load: (key) => proposalsPage(ctx.rpc, wanted ? wanted[1] : "", key),
  });
  proposals.classList.add("proposals");
  ctx.main.append(
    heading("Governance"),
    h("p", { class: "muted" }, "Proposals to change the chain, decided by the bonded stake's votes."),
    filterForm(ctx, "proposals", [{ name: "status", label: "Status", type: "select", options }]),
    proposals,
  );
}

async function proposalsPage(rpc, status, key) {
  const answer = await rpc.call("gov_proposals", { status, limit: PAGE_SIZE, next_key: key || "" });
  const voting = answer.proposals.filter((proposal) => proposal.status === VOTING);
  const tallies = await rpc.batch(voting.map((proposal) => ["gov_tally", { proposal_id: Number(proposal.id) }]));
  const live = new Map(voting.map((proposal, index) => [proposal.id, tallies[index]]));
  const rows = answer.proposals.map((proposal) => proposalRow(proposal, live.get(proposal.id), Number(answer.height)));
  return { rows, next: answer.next_key || null };
}

function proposalRow(proposal, liveTally, height) {
  return [
    proposalLink(proposal.id),
    proposal.title,
    statusBadge(proposal.status),
    blockLink(proposal.submit_height),
    endsAt(proposal, height),
    rowTally(proposal, liveTally),
  ];
}

// Where the proposal's current period ends, or where it ended.
function endsAt(proposal, height) {
  if (proposal.status === DEPOSIT) return [heightAt(proposal.deposit_end_height, height), " (deposit)"];
  return [heightAt(proposal.voting_end_height, height), proposal.status === VOTING ? " (voting)" : ""];
}

function rowTally(proposal, liveTally) {
  if (proposal.status === DEPOSIT) return h("span", { class: "muted" }, "not voting yet");
  if (proposal.status !== VOTING) return compactTally(countsOf(proposal.final_tally_result));
  if (!liveTally || liveTally instanceof Error) return "—";
  return compactTally(countsOf(liveTally.tally));
}

// A height: linked once its block exists, else with how far off it is.
function heightAt(target, now) {
  const wanted = Number(target);
  if (!wanted) return "—";
  if (!Number.isFinite(now) || wanted <= now) return blockLink(target);
  const blocks = wanted - now;
  return `${fmtInt(target)} (in ${fmtInt(blocks)} block${blocks === 1 ? "" : "s"})`;
}

// -- one proposal ---------------------------------------------------------------------------------

export async function detail(ctx) {
  const text = ctx.params.id;
  const title = h("span");
  ctx.main.append(heading(`Proposal ${text}`, title));
  const id = /^[1-9]\d*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(id)) {
    ctx.main.append(errorBox(`"${text}" is not a proposal id: ids are positive integers.`));
    return;
  }
  const [found, params] = await ctx.rpc.batch([["gov_proposal", { proposal_id: id }], ["gov_params", {}]]);
  if (found instanceof Error) {
    ctx.main.append(errorBox(isNotFound(found) ? `No proposal ${id}: not found.` : found));
    return;
  }
  const { proposal } = found;
  title.replaceChildren(": ", proposal.title);
  document.title = `Proposal ${id}: ${proposal.title} · depind explorer`;
  const rules = params instanceof Error ? null : params.params;
  const record = liveSection(ctx, proposalLoader(ctx.rpc, id), (data) => proposalView(data, rules));
  ctx.main.append(
    record,
    section("Summary", h("p", { class: "summary" }, proposal.summary || "—")),
    section(`Messages (${proposal.messages.length})`, messagesView(proposal.messages)),
    section("Votes", votesTable(ctx, proposal)),
    section("Deposits", depositsTable(ctx, proposal)),
  );
  await record.ready;
}

// The proposal, its tally and the bonded stake; read on each block while the proposal is
// active, and no more once it ended.
function proposalLoader(rpc, id) {
  let final = null;
  return async () => {
    if (final) return final;
    const [found, tally, pool] = await rpc.batch([
      ["gov_proposal", { proposal_id: id }],
      ["gov_tally", { proposal_id: id }],
      ["staking_pool", {}],
    ]);
    if (found instanceof Error) throw found;
    if (tally instanceof Error) throw tally;
    const data = {
      proposal: found.proposal,
      tally: tally.tally,
      bonded: pool instanceof Error ? null : pool.bonded_tokens,
      height: Number(found.height),
    };
    if (!isActive(data.proposal)) final = data;
    return data;
  };
}

function proposalView(data, rules) {
  return [recordDetails(data, rules), section("Tally", tallyView(data, rules))];
}

function recordDetails({ proposal, height }, rules) {
  const votingStarted = Number(proposal.voting_start_height) > 0;
  return details([
    ["Status", statusBadge(proposal.status)],
    ["Failed because", proposal.failed_reason || undefined],
    ["Proposer", accountLink(proposal.proposer, 60)],
    ["Expedited", yesNo(proposal.expedited)],
    ["Submitted at", [blockLink(proposal.submit_height), ", ", fmtTime(proposal.submit_time)]],
    ["Deposit period ends at", proposal.status === DEPOSIT ? heightAt(proposal.deposit_end_height, height) : undefined],
    ["Total deposit", depositText(proposal, rules)],
    ["Voting started at", votingStarted
      ? [blockLink(proposal.voting_start_height), ", ", fmtTime(proposal.voting_start_time)]
      : "not yet: voting starts once the deposits reach the minimum"],
    ["Voting ends at", votingStarted ? votingEnd(proposal, height) : "—"],
    ["Metadata", proposal.metadata ? h("span", { class: "mono" }, proposal.metadata) : undefined],
  ]);
}

function votingEnd(proposal, height) {
  if (proposal.status === VOTING) return heightAt(proposal.voting_end_height, height);
  return [blockLink(proposal.voting_end_height), ", ", fmtTime(proposal.voting_end_time)];
}

// The deposits against the minimum (the expedited minimum for an expedited proposal).
function depositText(proposal, rules) {
  const total = fmtCoins(proposal.total_deposit);
  const minimum = rules && (proposal.expedited ? rules.expedited_min_deposit : rules.min_deposit);
  if (!minimum || minimum.length === 0) return total;
  const wanted = minimum[0];
  const held = proposal.total_deposit.find((coin) => coin.denom === wanted.denom);
  const text = `${total} of the ${fmtCoins(minimum)} minimum`;
  const max = Math.max(Number(wanted.amount), 1);
  const value = Math.min(Number(held ? held.amount : 0), max);
  return h("span", { class: "deposit" },
    h("meter", { class: "deposit-gauge", min: 0, max, value, optimum: max, "aria-label": `Deposit: ${text}` }, text),
    h("span", {}, text));
}

// -- the tally ------------------------------------------------------------------------------------

function tallyView({ proposal, tally, bonded, height }, rules) {
  if (proposal.status === DEPOSIT) {
    return h("p", { class: "muted" }, "Not voting yet: voting starts once the deposits reach the minimum.");
  }
  const counts = countsOf(proposal.status === VOTING ? tally : proposal.final_tally_result);
  const cast = votesCast(counts);
  const voting = proposal.status === VOTING;
  const stake = voting && bonded !== null ? toBig(bonded) : null;
  const note = voting
    ? `Votes counted with the bonded stake as it is now; final when voting ends at height ${fmtInt(proposal.voting_end_height)}${ahead(proposal.voting_end_height, height)}.`
    : `The final tally, counted at height ${fmtInt(proposal.voting_end_height)}. The bonded stake of then is not kept, so no share of it is shown.`;
  // Rows of three: what the bar is a share of, the bar, a note.
  const bars = h("div", { class: "tally-bars" },
    h("span", {}, "Of the votes cast"), tallyBar(counts), h("span", { class: "tally-note" }));
  if (stake !== null) {
    const quorum = rules ? [[rules.quorum, "quorum"]] : [];
    bars.append(h("span", {}, "Of the bonded stake"),
      tallyBar(counts, { whole: stake, of: "of the bonded stake", marks: quorum }),
      h("span", { class: "muted tally-note" }, rules ? `the line: quorum, ${fmtDecPercent(rules.quorum)}` : ""));
  }
  const parts = [h("p", { class: "muted" }, note), bars];
  parts.push(tallyLegend(), tallyTable(counts, cast, stake), rulesView(proposal, counts, cast, stake, rules));
  return parts;
}

function ahead(target, now) {
  const blocks = Number(target) - now;
  return Number.isFinite(blocks) && blocks > 0 ? `, in ${fmtInt(blocks)} block${blocks === 1 ? "" : "s"}` : "";
}

// Each option's voting power and its shares; of the bonded stake only while that is known.
function tallyTable(counts, cast, stake) {
  const row = (label, count) => {
    const cells = [label, fmtCoin(count.toString()), fmtShare(count, cast)];
    return stake === null ? cells : [...cells, fmtShare(count, stake)];
  };
  const rows = OPTIONS.map(([key, label]) => row(label, counts[key]));
  rows.push(row(h("strong", {}, "Votes cast"), cast));
  const columns = ["Option", "Voting power", "Of the votes cast"];
  return table(stake === null ? columns : [...columns, "Of the bonded stake"], rows,
    "Voting power per option (bonded tokens)");
}

// The three rules a tally is decided by, in Cosmos's order, and where this one stands.
function rulesView(proposal, counts, cast, stake, rules) {
  if (!rules) return null;
  const threshold = proposal.expedited ? rules.expedited_threshold : rules.threshold;
  const notAbstaining = cast - counts.abstain;
  const mark = (reached, yes, no) => (reached === null ? "" : `: ${reached ? yes : no}`);
  return details([
    ["Quorum", stake === null
      ? `${fmtDecPercent(rules.quorum)} of the bonded stake must vote`
      : `${fmtShare(cast, stake)} of the bonded stake voted, ${fmtDecPercent(rules.quorum)} must${mark(reaches(cast, stake, rules.quorum), "reached", "not reached")}`],
    ["Veto", `${fmtShare(counts.veto, cast)} of the votes are no with veto, above ${fmtDecPercent(rules.veto_threshold)} rejects${mark(reaches(counts.veto, cast, rules.veto_threshold, true), "vetoed", "not vetoed")}`],
    ["Threshold", `${fmtShare(counts.yes, notAbstaining)} of the votes not abstaining are yes, above ${fmtDecPercent(threshold)}${proposal.expedited ? " (expedited)" : ""} passes${mark(reaches(counts.yes, notAbstaining, threshold, true), "above", "not above")}`],
  ]);
}

// -- messages, votes and deposits -----------------------------------------------------------------

// Each message as gov_proposal decodes it: its type, and its JSON as written.
function messagesView(messages) {
  if (messages.length === 0) return empty("A text proposal: it carries no messages.");
  return messages.map((message, index) => {
    const type = String(message["@type"] || message.type_url || "");
    return h("section", { class: "message" },
      h("h3", {}, `#${index + 1} `, type.split(".").pop() || "message"),
      h("p", { class: "muted mono" }, type),
      h("pre", { class: "json" }, JSON.stringify(message, null, 2)));
  });
}

function votesTable(ctx, proposal) {
  const active = isActive(proposal);
  const options = {
    columns: ["Voter", "Vote", "Metadata"],
    caption: "Votes, by voter address",
    emptyText: active ? "No votes yet." : "Votes are deleted once a proposal is tallied: its final tally is above.",
    load: async (key) => {
      const answer = await ctx.rpc.call("gov_votes", { proposal_id: Number(proposal.id), limit: PAGE_SIZE, next_key: key || "" });
      const rows = answer.votes.map((vote) => [accountLink(vote.voter), voteText(vote.options), vote.metadata || "—"]);
      return { rows, next: answer.next_key || null };
    },
  };
  return active ? livePagedTable(ctx, options) : pagedTable(options);
}

// A vote's options: "Yes", or with their weights, "Yes 70%, No 30%".
function voteText(options) {
  const label = (option) => VOTE_LABELS[option.option] || option.option;
  if (options.length === 1 && fmtDecPercent(options[0].weight) === "100%") return label(options[0]);
  return options.map((option) => `${label(option)} ${fmtDecPercent(option.weight)}`).join(", ");
}

function depositsTable(ctx, proposal) {
  const active = isActive(proposal);
  const options = {
    columns: ["Depositor", "Amount"],
    caption: "Deposits, by depositor address",
    emptyText: active ? "No deposits." : "Deposits are refunded or burned when a proposal ends.",
    load: async (key) => {
      const answer = await ctx.rpc.call("gov_deposits", { proposal_id: Number(proposal.id), limit: PAGE_SIZE, next_key: key || "" });
      return { rows: answer.deposits.map((deposit) => [accountLink(deposit.depositor), fmtCoins(deposit.amount)]), next: answer.next_key || null };
    },
  };
  return active ? livePagedTable(ctx, options) : pagedTable(options);
}
