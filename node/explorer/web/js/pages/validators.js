// Validators: the staking validators, and one validator in detail.
//
// The list reads `validators_staking` a page at a time (`validators?status=…&key=…`, the key
// being the node's `next_key`), refreshed on each block while the figures change. A
// validator's page reads `validator_staking` (status, tokens, shares, commission rates),
// `validator_commission` (accumulated), its self-delegation (`delegations` between its
// operator account and itself), its uptime from `signing_info` against the slashing params'
// `signed_blocks_window`, its slash history (`validator_slashes`) and its delegations
// (`delegations {validator}`, paged).

import { withPrefix } from "../bech32.js";
import {
  accountLink, badge, blockLink, details, errorBox, fmtCoin, fmtCoins, fmtInt, fmtPercent, fmtTime, h, heading,
  pagedTable, section, short, table, validatorLink,
} from "../ui.js";
import {
  ACCOUNT_PREFIX, OPERATOR_PREFIX, atRest, isAddress, isNotFound, liveSection, pager, withQuery,
} from "./chain.js";

const PAGE = 20;
const STATUSES = [
  ["BOND_STATUS_BONDED", "bonded"],
  ["BOND_STATUS_UNBONDING", "unbonding"],
  ["BOND_STATUS_UNBONDED", "unbonded"],
];

// -- the list -------------------------------------------------------------------------------------

export async function list(ctx) {
  const status = STATUSES.some(([name]) => name === ctx.query.get("status")) ? ctx.query.get("status") : "";
  const key = /^[0-9a-fA-F]*$/.test(ctx.query.get("key") || "") ? ctx.query.get("key") || "" : "";
  ctx.main.append(heading("Validators"), statusFilter(ctx, status));
  const load = () => ctx.rpc.call("validators_staking", { status, limit: PAGE, next_key: key }).then(atRest);
  const rows = liveSection(ctx, load, (answer) => [
    validatorsTable(answer.validators),
    key || answer.next_key ? pager({
      firstText: "First",
      first: key ? withQuery("validators", { status }) : null,
      next: answer.next_key ? withQuery("validators", { status, key: answer.next_key }) : null,
    }) : null,
  ]);
  ctx.main.append(rows);
  await rows.ready;
}

function statusFilter(ctx, status) {
  const select = h("select", { id: "validator-status", name: "status" },
    h("option", { value: "" }, "any"),
    STATUSES.map(([name, label]) => h("option", { value: name, selected: name === status }, label)));
  const apply = (event) => {
    event.preventDefault();
    ctx.navigate(withQuery("validators", { status: select.value }));
  };
  return h("form", { class: "filters", onsubmit: apply },
    h("label", { for: "validator-status" }, "Status", select), h("button", { type: "submit" }, "Apply"));
}

function validatorsTable(validators) {
  if (validators.length === 0) return h("p", { class: "muted empty" }, "No validators.");
  const rows = validators.map((v) => [
    validatorLink(v.operator_address, v.description.moniker || short(v.operator_address)),
    h("span", { class: "mono", title: v.operator_address }, short(v.operator_address, 10)),
    statusBadge(v), fmtInt(v.power), fmtCoin(v.tokens), fmtPercent(v.commission.commission_rates.rate, 2),
    v.jailed ? badge("jailed", "bad") : "no",
  ]);
  return table(["Moniker", "Operator", "Status", "Voting power", "Tokens", "Commission", "Jailed"], rows,
    "Staking validators, in operator address order");
}

function statusBadge(validator) {
  const label = STATUSES.find(([name]) => name === validator.status)?.[1] || validator.status;
  const kind = validator.status === "BOND_STATUS_BONDED" ? "good" : "warn";
  return badge(label, kind);
}

// -- one validator ---------------------------------------------------------------------------------

export async function detail(ctx) {
  const operator = ctx.params.address;
  const title = h("span", { class: "mono", title: operator }, short(operator, 10));
  ctx.main.append(heading("Validator", " ", title));
  if (!isAddress(operator, OPERATOR_PREFIX)) {
    ctx.main.append(errorBox(`"${operator}" is not a validator operator address (${OPERATOR_PREFIX}1…).`));
    return;
  }
  let validator;
  try {
    validator = await ctx.rpc.call("validator_staking", { address: operator });
  } catch (error) {
    ctx.main.append(errorBox(isNotFound(error) ? `Validator ${operator} not found.` : error));
    return;
  }
  if (validator.description.moniker) title.replaceWith(validator.description.moniker);
  document.title = `Validator ${validator.description.moniker || operator} · depind explorer`;
  const account = withPrefix(operator, ACCOUNT_PREFIX);
  const overview = liveSection(ctx, () => loadValidator(ctx.rpc, validator, account),
    (data) => validatorDetails(data, account));
  ctx.main.append(overview,
    section("Slash history", slashesTable(ctx, operator)),
    section("Delegations", delegationsTable(ctx, operator)));
  await overview.ready;
}

// What changes block by block; the consensus address does not.
async function loadValidator(rpc, { operator_address: operator, consensus_address: consensus }, account) {
  const answers = await rpc.batch([
    ["validator_staking", { address: operator }],
    ["validator_commission", { validator: operator }],
    ["delegations", { delegator: account, validator: operator }],
    ["signing_info", { cons_address: consensus }],
    ["params", { module: "slashing" }],
  ]);
  if (answers[0] instanceof Error) throw answers[0];
  const [validator, commission, self, signing, params] = answers.map(atRest);
  return { validator, commission, self, signing, params };
}

function validatorDetails({ validator, commission, self, signing, params }, account) {
  const rates = validator.commission.commission_rates;
  const description = validator.description;
  return h("div", {},
    details([
      ["Moniker", description.moniker || "—"],
      ["Operator", h("span", { class: "mono" }, validator.operator_address)],
      ["Operator account", accountLink(account, 60)],
      ["Consensus address", h("span", { class: "mono" }, validator.consensus_address)],
      ["Status", [statusBadge(validator), validator.jailed ? [" ", badge("jailed", "bad")] : null]],
      ["Voting power", fmtInt(validator.power)],
      ["Tokens", fmtCoin(validator.tokens)],
      ["Delegator shares", validator.delegator_shares],
      ["Self-delegation", self instanceof Error ? (isNotFound(self) ? "none" : self.message) : fmtCoin(self.delegation_responses[0].balance.amount, self.delegation_responses[0].balance.denom)],
      ["Minimum self-delegation", fmtCoin(validator.min_self_delegation)],
      ["Commission rate", `${fmtPercent(rates.rate, 2)} (at most ${fmtPercent(rates.max_rate, 2)}, changing by ${fmtPercent(rates.max_change_rate, 2)} a day at most)`],
      ["Commission accumulated", commission instanceof Error ? commission.message : fmtCoins(commission.commission.map(roundCoin))],
      ["Uptime", uptime(signing, params)],
      ["Jailed until", signing instanceof Error ? "—" : jailedUntil(signing.jailed_until)],
      ["Tombstoned", signing instanceof Error ? "—" : (signing.tombstoned ? badge("tombstoned", "bad") : "no")],
      ["Unbonding", Number(validator.unbonding_height) ? `since height ${fmtInt(validator.unbonding_height)}, completes at ${fmtInt(validator.unbonding_completion_height)}` : undefined],
      ["Website", description.website || undefined],
      ["Details", description.details || undefined],
    ]));
}

// A LegacyDec coin amount ("123.450000000000000000") as its whole units.
function roundCoin(coin) {
  return { denom: coin.denom, amount: String(coin.amount).split(".")[0] };
}

function jailedUntil(time) {
  return !time || time.startsWith("1970-01-01") ? "not jailed" : fmtTime(time);
}

// Blocks signed over the slashing window (or over the blocks since the validator started,
// while fewer), as x/slashing counts them.
function uptime(signing, params) {
  if (signing instanceof Error) return isNotFound(signing) ? "no signing record yet" : signing.message;
  if (params instanceof Error) return params.message;
  const window = Number(params.slashing.signed_blocks_window);
  const counted = Math.min(window, Math.max(1, Number(signing.index_offset)));
  const missed = Number(signing.missed_blocks_counter);
  const share = Math.max(0, counted - missed) / counted;
  return `${fmtPercent(share, 2)} (missed ${fmtInt(missed)} of the last ${fmtInt(counted)} blocks)`;
}

function slashesTable(ctx, operator) {
  return pagedTable({
    columns: ["Height", "Reward period ended", "Fraction of tokens"],
    caption: "Slashes of this validator, oldest first",
    emptyText: "Never slashed.",
    load: async (key) => {
      const answer = await ctx.rpc.call("validator_slashes", { validator: operator, limit: PAGE, next_key: key || "" });
      const rows = answer.slashes.map((slash) => [
        blockLink(slash.height), fmtInt(slash.period), fmtPercent(slash.fraction, 2),
      ]);
      return { rows, next: answer.next_key || null };
    },
  });
}

function delegationsTable(ctx, operator) {
  return pagedTable({
    columns: ["Delegator", "Shares", "Balance"],
    caption: "Delegations to this validator",
    emptyText: "No delegations.",
    load: async (key) => {
      const answer = await ctx.rpc.call("delegations", { validator: operator, limit: PAGE, next_key: key || "" });
      const rows = answer.delegation_responses.map(({ delegation, balance }) => [
        accountLink(delegation.delegator_address), delegation.shares, fmtCoin(balance.amount, balance.denom),
      ]);
      return { rows, next: answer.next_key || null };
    },
  });
}
