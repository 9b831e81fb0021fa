// Votes on a governance proposal with cosmjs's own client, unchanged, with "auto" gas
// (cosmjs's default registry and Amino converters know both types):
//   direct: a /cosmos.gov.v1.MsgVote signed in SIGN_MODE_DIRECT (DirectSecp256k1HdWallet);
//   amino:  a /cosmos.gov.v1beta1.MsgVote signed in SIGN_MODE_LEGACY_AMINO_JSON
//           (Secp256k1HdWallet), as Keplr and Ledger sign a vote.
// Prints one JSON object with the tx's result; tests/e2e/test_gov.py checks it, and reads
// the vote back over the gov Vote query.
//
//   node gov.mjs <rpc url> <mnemonic> <denom> <proposal id> <option number> <direct|amino>

import { Secp256k1HdWallet } from "@cosmjs/amino";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient } from "@cosmjs/stargate";

const [rpc, mnemonic, denom, proposalId, option, mode] = process.argv.slice(2);

function voteMessage(address) {
  const common = { proposalId: BigInt(proposalId), voter: address, option: Number(option) };
  if (mode === "amino") {
    return { typeUrl: "/cosmos.gov.v1beta1.MsgVote", value: common };
  }
  return { typeUrl: "/cosmos.gov.v1.MsgVote", value: { ...common, metadata: "cosmjs" } };
}

async function main() {
  const walletType = mode === "amino" ? Secp256k1HdWallet : DirectSecp256k1HdWallet;
  const wallet = await walletType.fromMnemonic(mnemonic, { prefix: "depin" });
  const [{ address }] = await wallet.getAccounts();
  const options = { gasPrice: GasPrice.fromString(`0.01${denom}`) };
  const client = await SigningStargateClient.connectWithSigner(rpc, wallet, options);
  try {
    const vote = voteMessage(address);
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
