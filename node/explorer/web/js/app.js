// The explorer's shell: reads config.json (where the node's JSON-RPC and WebSocket are),
// routes URLs under /explorer/ to pages with the History API, and shows the connection banner.
//
// A page is a function `async (ctx) => void` exported by a module in pages/, drawing into
// ctx.main. What it registers through ctx (subscriptions, timers, cleanups) ends when the
// reader leaves the page. ctx:
//   main           the page's element (fresh for each visit)
//   params, query  the route's parameters and the URL's query (URLSearchParams)
//   rpc            Rpc: rpc.call(method, params)
//   onBlock(fn)    fn(event) for each new block (the NewBlock event's result), while on the page
//   subscribe(q, fn)  any other WebSocket subscription, while on the page
//   every(ms, fn)  a timer, while on the page
//   onCleanup(fn)  runs when the page is left
//   navigate(path, {replace})  go to another page

import { Live, Rpc } from "./rpc.js";
import { match } from "./routes.js";
import { errorBox, h, heading } from "./ui.js";

const BASE = new URL(document.baseURI).pathname; // "/explorer/"
const NEW_BLOCK = "tm.event='NewBlock'";

let rpc = null;
let live = null;
let leave = [];
let visit = 0;

async function boot() {
  const config = await fetch("config.json", { cache: "no-store" }).then((response) => response.json());
  rpc = new Rpc(new URL(config.rpc, location.href).href);
  live = new Live(socketUrl(config.websocket));
  live.onStatus(showConnection);
  live.start();
  document.addEventListener("click", follow);
  window.addEventListener("popstate", () => render());
  document.getElementById("search").addEventListener("submit", search);
  document.querySelector("a.skip").addEventListener("click", skipToContent);
  showNode();
  await render();
}

function socketUrl(path) {
  const url = new URL(path, location.href);
  if (url.protocol === "http:") url.protocol = "ws:";
  if (url.protocol === "https:") url.protocol = "wss:";
  return url.href;
}

// The path below /explorer/, as routes name it.
function currentPath() {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : "";
  return path.replace(/\/+$/, "");
}

export function navigate(path, { replace = false } = {}) {
  const url = new URL(path, document.baseURI);
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  render();
}

// Links marked data-nav change pages without a reload; a modified click opens a tab as usual.
function follow(event) {
  const anchor = event.target.closest("a[data-nav]");
  if (!anchor || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(anchor.getAttribute("href"));
}

// "#main" would resolve against <base href="/explorer/"> and leave a deep page: focus instead.
function skipToContent(event) {
  event.preventDefault();
  document.getElementById("main").focus();
}

function search(event) {
  event.preventDefault();
  const input = event.target.elements.q;
  const text = input.value.trim();
  if (text) navigate(`search?q=${encodeURIComponent(text)}`);
}

async function render() {
  for (const cleanup of leave) cleanup();
  leave = [];
  const mine = ++visit;
  const path = currentPath();
  const main = document.getElementById("main");
  const page = h("div", { class: "page" });
  main.replaceChildren(page);
  markSection(path);
  const found = match(path);
  if (!found) {
    page.append(heading("Not found"), h("p", {}, `No page at /explorer/${path}.`));
    return;
  }
  const [moduleName, functionName, params] = found;
  const ctx = pageContext(page, params, mine);
  try {
    const module = await import(`./pages/${moduleName}.js`);
    await module[functionName](ctx);
  } catch (error) {
    if (mine !== visit) return;
    console.warn(`page ${path} failed`, error);
    page.append(errorBox(error));
  }
  // After a change of page, keyboard and screen-reader users continue at its content; the first
  // page leaves focus at the top, where Tab reaches the skip link first.
  if (mine > 1 && mine === visit && document.activeElement === document.body) main.focus({ preventScroll: true });
}

function pageContext(page, params, mine) {
  const onCleanup = (fn) => {
    if (mine === visit) leave.push(fn);
    else fn();
  };
  const subscribe = (query, fn) => onCleanup(live.subscribe(query, fn));
  return {
    main: page,
    params,
    query: new URLSearchParams(location.search),
    rpc,
    onBlock: (fn) => subscribe(NEW_BLOCK, fn),
    subscribe,
    every: (ms, fn) => {
      const timer = setInterval(fn, ms);
      onCleanup(() => clearInterval(timer));
    },
    onCleanup,
    navigate,
    isCurrent: () => mine === visit,
  };
}

function markSection(path) {
  const section = path.split("/")[0] === "account" ? "" : path.split("/")[0];
  for (const anchor of document.querySelectorAll("nav a[data-section]")) {
    const current = anchor.dataset.section === section && (section !== "" || path === "");
    if (current) anchor.setAttribute("aria-current", "page");
    else anchor.removeAttribute("aria-current");
  }
}

function showConnection(state) {
  const banner = document.getElementById("banner");
  if (state === "open") {
    banner.hidden = true;
    banner.textContent = "";
    return;
  }
  if (state === "closed") {
    banner.hidden = false;
    banner.textContent = "Live updates lost: the connection to the node dropped. Reconnecting…";
  }
}

async function showNode() {
  try {
    const status = await rpc.call("status");
    document.getElementById("chain-id").textContent = status.node_info.network;
    document.getElementById("node-version").textContent =
      `node ${status.node_info.moniker} · CometBFT ${status.node_info.version}`;
  } catch (error) {
    console.warn("status failed", error);
  }
}

boot().catch((error) => {
  document.getElementById("main").replaceChildren(errorBox(`The explorer cannot start: ${error.message}`));
});
