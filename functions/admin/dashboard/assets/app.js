// The operator dashboard: asks for the service key, then draws /admin/dashboard/api/* and refreshes.
import { lineChart, stackedBars } from "./charts.js";
import { ago, hourLabel, ms, num, pct } from "./format.js";
import { jsonClient, UnauthorizedError } from "./api.js";
import { startExplorer } from "./explore.js";
import { toast } from "./dom.js";

const KEY = "switchyard.serviceKey";
const REFRESH_MS = 30_000;
const base = location.pathname.replace(/\/dashboard\/?$/, "");
const $ = (id) => document.getElementById(id);
let timer;
let last;

const api = jsonClient(base, () => sessionStorage.getItem(KEY));
const explorer = startExplorer(api, () => $("tenant").value);

function showSignin(message = "") {
  clearInterval(timer);
  $("app").hidden = true;
  $("controls").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = message;
  $("key").focus();
}

async function start() {
  $("signin").hidden = true;
  try {
    const { items } = await api("/dashboard/api/tenants");
    const select = $("tenant");
    const chosen = new URLSearchParams(location.search).get("tenant") ?? select.value;
    select.replaceChildren(
      new Option("All tenants", ""),
      ...items.map((t) => new Option(`${t.name} (${t.slug})`, t.slug)),
    );
    select.value = items.some((t) => t.slug === chosen) ? chosen : "";
    explorer.setTenants(items);
  } catch (err) {
    if (err instanceof UnauthorizedError) {
      sessionStorage.removeItem(KEY);
      return showSignin("That key was refused. Check the service role key and try again.");
    }
    return showSignin(`Could not reach the admin API: ${err.message}`);
  }
  $("controls").hidden = false;
  $("app").hidden = false;
  await refresh();
  explorer.browse();
  clearInterval(timer);
  timer = setInterval(refresh, REFRESH_MS);
}

function query(withHours = true) {
  const p = new URLSearchParams(withHours ? { hours: $("hours").value } : {});
  if ($("tenant").value) p.set("tenant", $("tenant").value);
  return p.toString();
}

async function refresh() {
  try {
    const [overview, dead] = await Promise.all([
      api(`/dashboard/api/overview?${query()}`),
      api(`/dashboard/api/dead-letters?${query(false)}`),
      explorer.refresh(),
    ]);
    renderOverview(overview);
    renderDeadLetters(dead.items);
    $("banner").hidden = true;
    $("updated").textContent = `Updated ${new Date().toLocaleTimeString()} · refreshes every ${
      REFRESH_MS / 1000
    }s · times in UTC`;
  } catch (err) {
    if (err instanceof UnauthorizedError) {
      return showSignin("The service key is no longer accepted.");
    }
    $("banner").textContent = `Could not refresh: ${err.message}. Showing the last figures.`;
    $("banner").hidden = false;
  }
}

function kpi(id, text, state) {
  const node = $(id);
  node.textContent = text;
  node.parentElement.classList.toggle("bad", state === "bad");
  node.parentElement.classList.toggle("good", state === "good");
}

function item(text, className = "") {
  const li = document.createElement("li");
  li.className = className;
  li.textContent = text;
  return li;
}

function renderOverview(o) {
  last = o;
  const hours = o.window.hours;
  const labels = o.series.map((p) => p.hour);
  const xLabel = (iso) => hourLabel(iso, hours);
  const t = o.totals;
  kpi("kpi-events", num(t.events));
  $("kpi-rate").textContent = `${num(t.eventsPerMinute)} / min average`;
  kpi(
    "kpi-success",
    pct(t.successRate),
    t.successRate === null ? "" : t.successRate < 0.99 ? "bad" : "good",
  );
  $("kpi-attempts").textContent = `${num(t.attempts)} attempts · ${num(t.failed)} failed`;
  kpi("kpi-p95", ms(t.p95Ms));
  kpi(
    "kpi-lag",
    o.relay.lagMs === null ? "unknown" : ms(o.relay.lagMs),
    o.relay.lagMs > 30_000 ? "bad" : "",
  );
  $("kpi-lag-events").textContent = o.relay.lagEvents === null
    ? "relay not reporting"
    : `${num(o.relay.lagEvents)} events behind`;
  kpi("kpi-dead", num(o.backlog.dead ?? 0), (o.backlog.dead ?? 0) > 0 ? "bad" : "good");

  const lagging = o.relay.lagMs > 30_000;
  $("status").textContent = o.alerts.length
    ? `${o.alerts.length} open alert${o.alerts.length > 1 ? "s" : ""}`
    : lagging
    ? "relay lagging"
    : "healthy";
  $("status").className = `status ${o.alerts.length || lagging ? "degraded" : "ok"}`;

  const line = (name, key, extra = {}) => ({
    name,
    className: key,
    values: o.series.map((p) => p[key]),
    ...extra,
  });
  lineChart($("chart-throughput"), {
    labels,
    xLabel,
    yFormat: num,
    series: [line("events", "events", { area: true })],
    emptyText: "No events in this window",
  });
  lineChart($("chart-latency"), {
    labels,
    xLabel,
    yFormat: ms,
    series: [line("p50", "p50"), line("p95", "p95")],
    emptyText: "No delivery attempts in this window",
  });
  stackedBars($("chart-deliveries"), {
    labels,
    xLabel,
    yFormat: num,
    stacks: ["delivered", "failed", "dead"].map((k) => line(k, k)),
  });
  $("delivery-states").textContent = `Deliveries created in window: ${
    num(o.deliveries.delivered)
  } delivered · ${num(o.deliveries.pending)} pending · ${num(o.deliveries.dead)} dead`;
  lineChart($("chart-lag"), {
    labels,
    xLabel,
    yFormat: ms,
    series: [line("relay lag", "relayLagMs", { className: "lag", area: true })],
    emptyText: "No lag recorded: the relay is keeping up",
  });

  const top = $("top-types");
  const max = Math.max(1, ...o.topTypes.map((x) => x.events));
  top.replaceChildren(...o.topTypes.map((x) => {
    const li = document.createElement("li");
    li.innerHTML =
      `<span class="name"></span><span class="count"></span><span class="bar"><span></span></span>`;
    li.querySelector(".name").textContent = x.type;
    li.querySelector(".name").title = x.type;
    li.querySelector(".count").textContent = num(x.events);
    li.querySelector(".bar span").style.width = `${Math.max(2, (x.events / max) * 100)}%`;
    return li;
  }));
  if (!o.topTypes.length) top.append(item("No events in this window", "empty"));
  $("top-hint").textContent = hours === 24 ? "last 24 hours" : `last ${hours / 24} days`;

  const alerts = $("alerts");
  alerts.replaceChildren(
    ...o.alerts.map((a) =>
      item(
        `${a.kind.replaceAll("_", " ")} · ${a.subject}${a.tenant ? ` · ${a.tenant}` : ""} · since ${
          ago(a.openedAt)
        }`,
      )
    ),
  );
  if (!o.alerts.length) alerts.append(item("No open alerts.", "none"));
}

function renderDeadLetters(items) {
  const body = $("dlq").querySelector("tbody");
  $("dlq").hidden = items.length === 0;
  $("dlq-empty").hidden = items.length > 0;
  $("dlq-hint").textContent = items.length
    ? `${items.length} waiting${items.length >= 50 ? " (newest 50)" : ""}`
    : "";
  body.replaceChildren(...items.map((d) => {
    const tr = document.createElement("tr");
    tr.dataset.id = d.id;
    const cells = [
      ago(d.deadAt),
      d.tenant,
      d.eventType ?? d.eventId,
      d.endpoint ?? d.endpointId,
      d.reason ?? "",
    ];
    for (const [i, text] of cells.entries()) {
      const td = document.createElement("td");
      td.textContent = text;
      if (i === 0) td.title = new Date(d.deadAt).toISOString();
      if (i === 2) td.innerHTML = `<code></code>`, td.firstChild.textContent = text;
      if (i === 4) td.className = "reason", td.title = text;
      tr.append(td);
    }
    const tries = document.createElement("td");
    tries.className = "num";
    tries.textContent = d.tries;
    const action = document.createElement("td");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "small replay";
    button.textContent = "Replay";
    button.addEventListener("click", () => replay(d.id, button));
    action.append(button);
    tr.append(tries, action);
    return tr;
  }));
}

async function replay(id, button) {
  button.disabled = true;
  button.textContent = "Replaying…";
  try {
    await api("/dlq/replay", { method: "POST", body: JSON.stringify({ ids: [id] }) });
    toast("Replayed: the delivery is queued again.");
    await refresh();
  } catch (err) {
    button.disabled = false;
    button.textContent = "Replay";
    toast(`Replay failed: ${err.message}`, true);
  }
}

$("signin-form").addEventListener("submit", (e) => {
  e.preventDefault();
  sessionStorage.setItem(KEY, $("key").value.trim());
  $("key").value = "";
  start();
});
$("signout").addEventListener("click", () => {
  sessionStorage.removeItem(KEY);
  showSignin();
});
$("tenant").addEventListener("change", () => {
  const url = new URL(location.href);
  if ($("tenant").value) url.searchParams.set("tenant", $("tenant").value);
  else url.searchParams.delete("tenant");
  history.replaceState(null, "", url);
  refresh();
  explorer.browse();
});
$("hours").addEventListener("change", refresh);
let resizing;
addEventListener("resize", () => {
  clearTimeout(resizing);
  resizing = setTimeout(() => last && !$("app").hidden && renderOverview(last), 150);
});

if (sessionStorage.getItem(KEY)) start();
else showSignin();
