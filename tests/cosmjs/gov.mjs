// Votes on a governance proposal with cosmjs's own client, unchanged: a
// /cosmos.gov.v1.MsgVote signed in SIGN_MODE_DIRECT with "auto" gas (cosmjs's default
// registry knows the type). Prints one JSON object with the tx's result;
// tests/e2e/test_gov.py checks it, and reads the vote back over the gov Vote query.
//
//   node gov.mjs <rpc url> <mnemonic> <denom> <proposal id> <option number>

import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient } from "@cosmjs/stargate";

const [rpc, mnemonic, denom, proposalId, option] = process.argv.slice(2);

async function main() {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "depin" });
  const [{ address }] = await wallet.getAccounts();
  const options = { gasPrice: GasPrice.fromString(`0.01${denom}`) };
  const client = await SigningStargateClient.connectWithSigner(rpc, wallet, options);
  try {
    const vote = {
      typeUrl: "/cosmos.gov.v1.MsgVote",
      value: { proposalId: BigInt(proposalId), voter: address, option: Number(option), metadata: "cosmjs" },
    };
    const result = await client.signAndBroadcast(address, [vote], "auto", "cosmjs vote");
    const seen = {
      address,
      code: result.code,
      hash: result.transactionHash,
      height: result.height,
      rawLog: result.rawLog,
      msgResponses: result.msgResponses.map((r) => r.typeUrl),
    };
    console.log(JSON.stringify(seen));
  } finally {
    client.disconnect();
  }
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
