// Search: a height, a tx or block hash, an address, or a proposal ("#5", "proposal 5"),
// resolved to its page.

import { RpcError } from "../rpc.js";
import { errorBox, heading, paths } from "../ui.js";

const HASH = /^(0x)?[0-9a-fA-F]{64}$/;
const PROPOSAL = /^(?:#|proposal\s*#?)\s*([1-9]\d*)$/i;

export async function search(ctx) {
  const text = (ctx.query.get("q") || "").trim();
  ctx.main.append(heading("Search"));
  const target = await resolve(ctx.rpc, text);
  if (target) {
    ctx.navigate(target, { replace: true });
    return;
  }
  ctx.main.append(errorBox(`Nothing found for "${text}": give a height, a tx or block hash, an address, or a proposal (#5).`));
}

async function resolve(rpc, text) {
  if (/^\d+$/.test(text)) return paths.block(text);
  const proposal = PROPOSAL.exec(text);
  if (proposal) return paths.proposal(proposal[1]);
  if (text.startsWith("depinvaloper1")) return paths.validator(text);
  if (text.startsWith("depin1")) return paths.account(text);
  if (HASH.test(text)) {
    const hash = text.replace(/^0x/, "").toUpperCase();
    if (await exists(() => rpc.call("tx", { hash }))) return paths.tx(hash);
    const block = await exists(() => rpc.call("block_by_hash", { hash }));
    if (block) return paths.block(block.block.header.height);
  }
  return null;
}

async function exists(call) {
  try {
    return await call();
  } catch (error) {
    if (error instanceof RpcError) return null;
    throw error;
  }
}
