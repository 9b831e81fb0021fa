// Every page's URL (relative to /explorer/) and the page module function that draws it.
// A ":name" segment is a parameter, passed to the page as ctx.params.name.

export const ROUTES = [
  ["", "overview", "overview"],
  ["blocks", "blocks", "list"],
  ["blocks/:height", "blocks", "detail"],
  ["txs", "txs", "list"],
  ["txs/:hash", "txs", "detail"],
  ["validators", "validators", "list"],
  ["validators/:address", "validators", "detail"],
  ["proposals", "gov", "list"],
  ["proposals/:id", "gov", "detail"],
  ["account/:address", "account", "account"],
  ["providers", "providers", "list"],
  ["providers/:address", "providers", "detail"],
  ["market", "market", "market"],
  ["market/offers/:id", "market", "offer"],
  ["market/orders/:id", "market", "order"],
  ["market/leases/:id", "market", "lease"],
  ["jobs", "jobs", "list"],
  ["jobs/:id", "jobs", "detail"],
  ["search", "search", "search"],
];

// [module, function, params] for a path such as "blocks/5", or null.
export function match(path) {
  const parts = path.split("/").filter(Boolean);
  for (const [pattern, module, name] of ROUTES) {
    const wanted = pattern.split("/").filter(Boolean);
    if (wanted.length !== parts.length) continue;
    const params = {};
    const fits = wanted.every((segment, index) => {
      if (segment.startsWith(":")) {
        params[segment.slice(1)] = decodeURIComponent(parts[index]);
        return true;
      }
      return segment === parts[index];
    });
    if (fits) return [module, name, params];
  }
  return null;
}
