// Drives a depind node with cosmjs's own clients, unchanged: the queries a wallet
// makes, a send signed in SIGN_MODE_DIRECT and one in SIGN_MODE_LEGACY_AMINO_JSON
// (each with "auto" gas), then the tx, a search and a block, then staking: a
// delegation signed in each mode, a rewards withdrawal and an undelegation. Prints one
// JSON object with what it saw, each tx's msgResponses (decoded by cosmjs from the
// result's TxMsgData) with their values in base64; tests/e2e/test_cosmjs.py checks it.
//
//   node client.mjs <rpc url> <mnemonic> <recipient> <denom> <validator operator>

import { Secp256k1HdWallet } from "@cosmjs/amino";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient, StargateClient } from "@cosmjs/stargate";

const [rpc, mnemonic, recipient, denom, validator] = process.argv.slice(2);
const options = { gasPrice: GasPrice.fromString(`0.01${denom}`) };

function responses(result) {
  return result.msgResponses.map((r) => ({ typeUrl: r.typeUrl, value: Buffer.from(r.value).toString("base64") }));
}

async function send(wallet, amount, memo) {
  const [account] = await wallet.getAccounts();
  const client = await SigningStargateClient.connectWithSigner(rpc, wallet, options);
  try {
    const result = await client.sendTokens(account.address, recipient, [{ denom, amount }], "auto", memo);
    return {
      code: result.code,
      hash: result.transactionHash,
      height: result.height,
      gasUsed: String(result.gasUsed),
      msgResponses: responses(result),
    };
  } finally {
    client.disconnect();
  }
}

async function signAndReport(wallet, act) {
  const [account] = await wallet.getAccounts();
  const client = await SigningStargateClient.connectWithSigner(rpc, wallet, options);
  try {
    const result = await act(client, account.address);
    return {
      code: result.code,
      hash: result.transactionHash,
      height: result.height,
      rawLog: result.rawLog,
      msgResponses: responses(result),
    };
  } finally {
    client.disconnect();
  }
}

async function main() {
  const direct = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "depin" });
  const amino = await Secp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "depin" });
  const [{ address }] = await direct.getAccounts();
  const client = await StargateClient.connect(rpc);
  const seen = { address };
  seen.chainId = await client.getChainId();
  seen.accountBefore = await client.getAccount(address);
  seen.missingAccount = await client.getAccount(recipient);
  seen.balance = await client.getBalance(address, denom);
  seen.allBalances = await client.getAllBalances(address);
  seen.directSend = await send(direct, "1000", "cosmjs direct & <amino>");
  seen.aminoSend = await send(amino, "2000", "cosmjs amino & <é>");
  const tx = await client.getTx(seen.aminoSend.hash);
  seen.tx = { hash: tx.hash, height: tx.height, code: tx.code, index: tx.txIndex, events: tx.events.length };
  const found = await client.searchTx([{ key: "message.sender", value: address }]);
  seen.search = found.map((t) => ({ hash: t.hash, height: t.height, code: t.code }));
  const block = await client.getBlock(seen.aminoSend.height);
  seen.block = { height: block.header.height, chainId: block.header.chainId, txs: block.txs.length, id: block.id };
  seen.accountAfter = await client.getAccount(address);
  seen.recipientBalance = await client.getBalance(recipient, denom);
  const stake = { denom, amount: "2000000" };
  seen.delegateDirect = await signAndReport(direct, (c, a) => c.delegateTokens(a, validator, stake, "auto"));
  seen.delegateAmino = await signAndReport(amino, (c, a) => c.delegateTokens(a, validator, stake, "auto"));
  seen.delegation = await client.getDelegation(address, validator);
  seen.withdraw = await signAndReport(direct, (c, a) => c.withdrawRewards(a, validator, "auto"));
  const unstake = { denom, amount: "1000000" };
  seen.undelegate = await signAndReport(direct, (c, a) => c.undelegateTokens(a, validator, unstake, "auto"));
  client.disconnect();
  console.log(JSON.stringify(seen, (_, v) => (typeof v === "bigint" ? String(v) : v)));
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
