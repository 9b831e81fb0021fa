// An account: balances, staking (delegations with their rewards, unbonding), its part in the
// GPU market (leases as requester and as provider, orders) and compute (jobs), and its txs.
//
// The figures at the top (`account`, `balances`, `delegation_rewards` total, and whether it
// is a provider or operates a validator: `provider {owner}`, `validator_staking`) refresh on
// each block. Every list is paged through the node's query: `delegations` (each page's
// rewards with one `delegation_rewards` call per row, batched), `unbonding_delegations`,
// `leases {requester | provider}`, `orders {requester}`, `jobs {requester | provider}` and
// `decoded_txs "message.sender='…'"` (newest first).

import { withPrefix } from "../bech32.js";
import { jobLink, leaseLink, orderLink, stateBadge } from "../market-parts.js";
import {
  blockLink, details, errorBox, fmtCoin, fmtCoins, fmtInt, h, heading, link, pagedTable, paths,
  section, short, txLink, validatorLink,
} from "../ui.js";
import {
  ACCOUNT_PREFIX, OPERATOR_PREFIX, addressLink, atRest, isAddress, isNotFound, liveSection, messageTypes,
  resultBadge,
} from "./chain.js";

const PAGE = 20;

export async function account(ctx) {
  const address = ctx.params.address;
  ctx.main.append(heading("Account", " ", h("span", { class: "mono", title: address }, short(address, 10))));
  if (!isAddress(address, ACCOUNT_PREFIX)) {
    ctx.main.append(errorBox(`"${address}" is not an account address (${ACCOUNT_PREFIX}1…).`));
    return;
  }
  const operator = withPrefix(address, OPERATOR_PREFIX);
  const figures = liveSection(ctx, () => loadFigures(ctx.rpc, address, operator),
    (data) => figuresView(address, operator, data));
  ctx.main.append(figures,
    section("Delegations", delegationsTable(ctx, address)),
    section("Unbonding", unbondingTable(ctx, address)),
    section("Leases as requester", leasesTable(ctx, { requester: address }, "provider")),
    section("Leases as provider", leasesTable(ctx, { provider: address }, "requester")),
    section("Orders", ordersTable(ctx, address)),
    section("Jobs as requester", jobsTable(ctx, { requester: address }, "provider")),
    section("Jobs as provider", jobsTable(ctx, { provider: address }, "requester")),
    section("Transactions", txsTable(ctx, address)));
  await figures.ready;
}

// -- figures --------------------------------------------------------------------------------------

async function loadFigures(rpc, address, operator) {
  const answers = await rpc.batch([
    ["account", { address }],
    ["balances", { address }],
    ["delegation_rewards", { delegator: address }],
    ["provider", { owner: address }],
    ["validator_staking", { address: operator }],
  ]);
  const [found, balances, rewards, provider, validator] = answers.map(atRest);
  if (balances instanceof Error) throw balances;
  return { found, balances, rewards, provider, validator };
}

function figuresView(address, operator, { found, balances, rewards, provider, validator }) {
  const missing = isNotFound(found);
  return [
    missing ? h("p", { class: "muted" }, "No account on chain yet: this address has not received or sent anything.") : null,
    details([
      ["Address", h("span", { class: "mono" }, address)],
      ["Balances", fmtCoins(balances.balances)],
      ["Staking rewards", rewards instanceof Error ? "—" : fmtCoins(rewards.total.map(wholeUnits))],
      ["Account number", found instanceof Error ? undefined : found.account_number],
      ["Sequence (txs signed)", found instanceof Error ? undefined : fmtInt(found.sequence)],
      ["Provider", provider instanceof Error ? undefined : link(paths.provider(address), `provider (${provider.status})`)],
      ["Validator", validator instanceof Error ? undefined
        : validatorLink(operator, validator.description.moniker || short(operator, 10))],
    ]),
  ];
}

// A LegacyDec amount ("123.450000000000000000") as its whole units.
function wholeUnits(coin) {
  return { denom: coin.denom, amount: String(coin.amount).split(".")[0] };
}

// -- staking --------------------------------------------------------------------------------------

function delegationsTable(ctx, address) {
  return pagedTable({
    columns: ["Validator", "Shares", "Balance", "Rewards"],
    caption: "Delegations and the rewards withdrawing would pay now",
    emptyText: "No delegations.",
    load: async (key) => {
      const answer = await ctx.rpc.call("delegations", { delegator: address, limit: PAGE, next_key: key || "" });
      const delegations = answer.delegation_responses;
      const rewards = await ctx.rpc.batch(delegations.map(({ delegation }) =>
        ["delegation_rewards", { delegator: address, validator: delegation.validator_address }]));
      const rows = delegations.map(({ delegation, balance }, index) => [
        validatorLink(delegation.validator_address), delegation.shares, fmtCoin(balance.amount, balance.denom),
        rewards[index] instanceof Error ? "—" : fmtCoins(rewards[index].rewards.map(wholeUnits)),
      ]);
      return { rows, next: answer.next_key || null };
    },
  });
}

function unbondingTable(ctx, address) {
  return pagedTable({
    columns: ["Validator", "Started at", "Completes at", "Balance"],
    caption: "Unbonding delegations, one row per entry",
    emptyText: "Nothing unbonding.",
    load: async (key) => {
      const answer = await ctx.rpc.call("unbonding_delegations", { delegator: address, limit: PAGE, next_key: key || "" });
      const rows = answer.unbonding_responses.flatMap((unbonding) => unbonding.entries.map((entry) => [
        validatorLink(unbonding.validator_address), blockLink(entry.creation_height),
        `height ${fmtInt(entry.completion_height)}`, fmtCoin(entry.balance),
      ]));
      return { rows, next: answer.next_key || null };
    },
  });
}

// -- market and compute ---------------------------------------------------------------------------

// `next_key` of a market or compute page: the id to resume from, or null on the last page.
function marketNext(answer) {
  return answer.next_key === null || answer.next_key === undefined || answer.next_key === "" ? null : String(answer.next_key);
}

function leasesTable(ctx, filter, other) {
  return pagedTable({
    columns: ["Lease", "GPUs", "Rate per hour", other === "provider" ? "Provider" : "Requester", "State"],
    caption: other === "provider" ? "Leases this account pays for" : "Leases this account serves",
    emptyText: "No leases.",
    load: async (key) => {
      const answer = await ctx.rpc.call("leases", { ...filter, limit: PAGE, next_key: key || "" });
      const rows = answer.leases.map(({ lease }) => [
        leaseLink(lease.id), `${fmtInt(lease.gpus)} × ${lease.gpu_class.model}`,
        fmtCoin(lease.rate), addressLink(lease[other]), stateBadge(lease.state),
      ]);
      return { rows, next: marketNext(answer) };
    },
  });
}

function ordersTable(ctx, address) {
  return pagedTable({
    columns: ["Order", "GPUs", "Models", "Max price per hour", "State", "Lease"],
    caption: "Orders this account placed",
    emptyText: "No orders.",
    load: async (key) => {
      const answer = await ctx.rpc.call("orders", { requester: address, limit: PAGE, next_key: key || "" });
      const rows = answer.orders.map((order) => [
        orderLink(order.id), fmtInt(order.requirements.gpus),
        order.requirements.gpu_models.join(", ") || "any", fmtCoin(order.max_price), stateBadge(order.state),
        leaseLink(order.lease_id),
      ]);
      return { rows, next: marketNext(answer) };
    },
  });
}

function jobsTable(ctx, filter, other) {
  return pagedTable({
    columns: ["Job", "Kind", "Work units", "Price", other === "provider" ? "Provider" : "Requester", "State"],
    caption: other === "provider" ? "Jobs this account submitted" : "Jobs this account ran",
    emptyText: "No jobs.",
    load: async (key) => {
      const answer = await ctx.rpc.call("jobs", { ...filter, limit: PAGE, next_key: key || "" });
      const rows = answer.jobs.map((job) => [
        jobLink(job.id), job.kind || "—", fmtInt(job.work_units), fmtCoin(job.price),
        addressLink(job[other]), stateBadge(job.state),
      ]);
      return { rows, next: marketNext(answer) };
    },
  });
}

// -- txs ------------------------------------------------------------------------------------------

function txsTable(ctx, address) {
  return pagedTable({
    columns: ["Hash", "Height", "Messages", "Result"],
    caption: "Transactions this account sent, newest first",
    emptyText: "No transactions sent.",
    load: async (key) => {
      const page = key || 1;
      const answer = await ctx.rpc.call("decoded_txs",
        { query: `message.sender='${address}'`, page, per_page: PAGE, order_by: "desc" });
      const rows = answer.tx_responses.map((response) => [
        txLink(response.txhash), blockLink(response.height), messageTypes(response.tx),
        resultBadge(response.code, response.codespace),
      ]);
      return { rows, next: page * PAGE < Number(answer.total) ? page + 1 : null };
    },
  });
}
