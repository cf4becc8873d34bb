// The tenant portal: swaps the link's token (URL fragment) for a session, then manages this tenant's integrations.
import { lineChart, stackedBars } from "../../dashboard/assets/charts.js";
import { hourLabel, ms, pct } from "../../dashboard/assets/format.js";
import { h, toast, utc } from "../../dashboard/assets/dom.js";
import { renderEvents } from "../../dashboard/assets/eventlog.js";
import { renderTimeline } from "../../dashboard/assets/timeline.js";
import { jsonClient, UnauthorizedError } from "../../dashboard/assets/api.js";

const KEY = "switchyard.portalSession";
const ended = "The portal session has ended or the link was revoked.";
const base = location.pathname.replace(/\/portal\/?$/, "");
const $ = (id) => document.getElementById(id);
const state = { endpoints: [], stats: null, editing: null, eventsCursor: null, trace: null };
let session = null;

const api = jsonClient(`${base}/portal/api`, () => session?.session);

function refuse(reason) {
  sessionStorage.removeItem(KEY);
  session = null;
  $("app").hidden = true;
  $("whoami").hidden = true;
  $("loading").hidden = true;
  $("refused").hidden = false;
  if (reason) $("refused-reason").textContent = reason;
}

/** Runs `fn`, reporting a failure in a toast; a refused session closes the portal. */
async function guarded(fn, what) {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UnauthorizedError) return refuse(ended);
    toast(`${what} failed: ${err.message}`, true);
  }
}

// --- opening: the token leaves the address bar before anything else happens -------------------

async function open() {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (token) {
    history.replaceState(null, "", location.pathname + location.search);
    const res = await fetch(`${base}/portal/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token }),
    });
    if (!res.ok) return refuse("The portal link is invalid, expired or revoked.");
    session = await res.json();
    sessionStorage.setItem(KEY, JSON.stringify(session));
  } else {
    session = JSON.parse(sessionStorage.getItem(KEY) ?? "null");
    if (!session || Date.parse(session.expiresAt) <= Date.now()) {
      return refuse("Open the portal from the link you were given; the session has ended.");
    }
  }
  $("loading").hidden = true;
  $("tenant-name").textContent = session.tenantName;
  $("mode").textContent = session.readOnly ? "read-only" : "full access";
  $("mode").className = `status ${session.readOnly ? "degraded" : "ok"}`;
  $("session-left").textContent = `session until ${utc(session.expiresAt)}`;
  $("whoami").hidden = false;
  document.body.classList.toggle("read-only", session.readOnly);
  for (const b of document.querySelectorAll(".write")) b.hidden = session.readOnly;
  $("app").hidden = false;
  renderSnippets();
  await guarded(loadEndpoints, "Loading endpoints");
}

// --- tabs ---------------------------------------------------------------------------------------

const tabs = [...document.querySelectorAll("[role=tab]")];
function selectTab(tab, focus = false) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute("aria-controls")).hidden = !on;
  }
  if (focus) tab.focus();
  if (tab.id === "tab-dlq") guarded(loadDeadLetters, "Loading dead letters");
  if (tab.id === "tab-events" && !$("events").tBodies[0].rows.length) {
    guarded(() => loadEvents(false), "Loading events");
  }
}
for (const t of tabs) {
  t.addEventListener("click", () => selectTab(t));
  t.addEventListener("keydown", (e) => {
    const i = tabs.indexOf(t);
    const next = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : null;
    if (next === null) return;
    e.preventDefault();
    selectTab(tabs[(next + tabs.length) % tabs.length], true);
  });
}

// --- endpoints ----------------------------------------------------------------------------------

const endpointName = (id) => {
  const ep = state.endpoints.find((e) => e.id === id);
  return ep ? ep.name ?? ep.url ?? id : `${id} (deleted)`;
};

async function loadEndpoints() {
  const [{ items }, stats] = await Promise.all([api("/endpoints"), api("/stats?hours=24")]);
  state.endpoints = items;
  state.stats = stats;
  renderEndpoints();
  renderStatsPicker();
}

function actionButton(label, onclick, { write = true, extra = "" } = {}) {
  if (write && session.readOnly) return null;
  return h("button", { type: "button", class: `small ${extra}`, onclick }, label);
}

function renderEndpoints() {
  const body = $("endpoints").tBodies[0];
  $("endpoints-empty").hidden = state.endpoints.length > 0;
  $("endpoints").hidden = state.endpoints.length === 0;
  body.replaceChildren(...state.endpoints.map((ep) => {
    const s = state.stats?.endpoints.find((x) => x.endpointId === ep.id);
    const label = ep.name ?? ep.url;
    const del = actionButton("Delete", () => confirmDelete(ep, del), { extra: "danger" });
    return h(
      "tr",
      { dataset: { id: ep.id } },
      h(
        "td",
        {},
        h("div", { class: "ep-name" }, label),
        ep.name ? h("div", { class: "muted small-text" }, ep.url) : null,
        h("div", { class: "muted small-text" }, h("code", {}, ep.id)),
      ),
      h("td", {}, ep.events.map((p) => h("code", { class: "pattern" }, p))),
      h(
        "td",
        {},
        h(
          "span",
          { class: `badge ${ep.enabled ? "delivered" : "dead"}` },
          ep.enabled ? "enabled" : "disabled",
        ),
        ep.disabledReason ? h("div", { class: "muted small-text" }, ep.disabledReason) : null,
      ),
      h("td", { class: "num" }, s ? pct(s.successRate) : "—"),
      h("td", { class: "num" }, s ? ms(s.p95) : "—"),
      h(
        "td",
        {},
        h(
          "div",
          { class: "row-actions" },
          actionButton("Send test", (e) => sendTest(ep, e.currentTarget)),
          actionButton("Edit", () => openEditor(ep)),
          actionButton(ep.enabled ? "Disable" : "Enable", () => toggle(ep)),
          actionButton("Rotate secret", () => rotate(ep)),
          del,
        ),
      ),
    );
  }));
}

function showSecret(secret, what) {
  $("secret-value").textContent = secret;
  $("secret-what").textContent = what;
  $("secret").hidden = false;
  $("secret").focus();
}
$("secret-done").addEventListener("click", () => {
  $("secret").hidden = true;
  $("secret-value").textContent = "";
});

function openEditor(ep = null) {
  state.editing = ep;
  const f = $("endpoint-form");
  f.reset();
  $("form-error").textContent = "";
  $("editor-title").textContent = ep ? `Edit ${ep.name ?? ep.url}` : "Add endpoint";
  $("endpoint-save").textContent = ep ? "Save changes" : "Add endpoint";
  if (ep) {
    f.url.value = ep.url ?? "";
    f.name.value = ep.name ?? "";
    f.events.value = ep.events.join(", ");
    f.filter.value = ep.filter ? JSON.stringify(ep.filter) : "";
  }
  $("editor").hidden = false;
  f.url.focus();
}
$("add-endpoint").addEventListener("click", () => openEditor());
$("endpoint-cancel").addEventListener("click", () => ($("editor").hidden = true));

$("endpoint-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = e.currentTarget;
  const error = $("form-error");
  error.textContent = "";
  let filter = null;
  if (f.filter.value.trim()) {
    try {
      filter = JSON.parse(f.filter.value);
    } catch {
      error.textContent = "The filter is not valid JSON.";
      return f.filter.focus();
    }
  }
  const body = {
    url: f.url.value.trim(),
    name: f.name.value.trim() || (state.editing ? null : undefined),
    events: f.events.value.split(",").map((p) => p.trim()).filter(Boolean),
    filter: filter ?? (state.editing ? null : undefined),
  };
  try {
    if (state.editing) {
      await api(`/endpoints/${state.editing.id}`, { method: "PATCH", body: JSON.stringify(body) });
      toast("Endpoint saved.");
    } else {
      const created = await api("/endpoints", { method: "POST", body: JSON.stringify(body) });
      showSecret(
        created.secret,
        `The signing secret of ${created.name ?? created.url}. Store it now: it is shown once.`,
      );
    }
    $("editor").hidden = true;
    await loadEndpoints();
  } catch (err) {
    if (err instanceof UnauthorizedError) return refuse(ended);
    error.textContent = err.message;
  }
});

async function sendTest(ep, button) {
  button.disabled = true;
  await guarded(async () => {
    const r = await api(`/endpoints/${ep.id}/test`, { method: "POST" });
    const answer = r.status === null ? "no answer" : `HTTP ${r.status}`;
    toast(
      r.ok
        ? `Test sent: ${answer} in ${ms(r.latencyMs)}`
        : `Test failed: ${answer}${r.error ? ` (${r.error})` : ""}`,
      !r.ok,
    );
  }, "Test");
  button.disabled = false;
}

async function toggle(ep) {
  await guarded(async () => {
    await api(`/endpoints/${ep.id}/${ep.enabled ? "disable" : "enable"}`, { method: "POST" });
    toast(
      ep.enabled ? "Endpoint disabled: nothing is sent until you enable it." : "Endpoint enabled.",
    );
    await loadEndpoints();
  }, ep.enabled ? "Disabling" : "Enabling");
}

async function rotate(ep) {
  await guarded(async () => {
    const r = await api(`/endpoints/${ep.id}/rotate-secret`, { method: "POST" });
    showSecret(
      r.secret,
      `The new signing secret of ${ep.name ?? ep.url}. The old one keeps verifying until ${
        utc(r.previousValidUntil)
      }. Store it now: it is shown once.`,
    );
    await loadEndpoints();
  }, "Rotation");
}

/** Two steps, no modal: the first press asks, the second deletes. */
function confirmDelete(ep, button) {
  if (button.dataset.armed !== "1") {
    button.dataset.armed = "1";
    button.textContent = "Confirm delete";
    button.setAttribute(
      "aria-label",
      `Confirm: delete ${ep.name ?? ep.url} and cancel its pending deliveries`,
    );
    return;
  }
  guarded(async () => {
    const r = await api(`/endpoints/${ep.id}`, { method: "DELETE" });
    toast(
      `Endpoint deleted; ${r.cancelledDeliveries} pending deliver${
        r.cancelledDeliveries === 1 ? "y" : "ies"
      } cancelled.`,
    );
    await loadEndpoints();
  }, "Deleting");
}

function renderStatsPicker() {
  const select = $("stats-endpoint");
  const chosen = select.value;
  select.replaceChildren(...state.endpoints.map((ep) => new Option(ep.name ?? ep.url, ep.id)));
  select.value = state.endpoints.some((e) => e.id === chosen)
    ? chosen
    : state.endpoints[0]?.id ?? "";
  renderStats();
}
$("stats-endpoint").addEventListener("change", renderStats);
// Charts are drawn at their box's pixel size: redraw when it changes (a phone turned, a window resized).
let resizing;
addEventListener("resize", () => {
  clearTimeout(resizing);
  resizing = setTimeout(() => state.stats && renderStats(), 150);
});

function renderStats() {
  const id = $("stats-endpoint").value;
  const hours = state.stats?.hours ?? [];
  const s = state.stats?.endpoints.find((x) => x.endpointId === id);
  const series = (key) => hours.map((_, i) => s?.series[i]?.[key] ?? null);
  const xLabel = (iso) => hourLabel(iso, 24);
  lineChart($("chart-endpoint-latency"), {
    labels: hours,
    xLabel,
    yFormat: ms,
    series: [
      { name: "p50", className: "p50", values: series("p50") },
      { name: "p95", className: "p95", values: series("p95") },
    ],
    emptyText: "No attempts in the last 24 hours",
  });
  stackedBars($("chart-endpoint-success"), {
    labels: hours,
    xLabel,
    yFormat: String,
    stacks: [
      { name: "ok", className: "delivered", values: hours.map((_, i) => s?.series[i]?.ok ?? 0) },
      {
        name: "failed",
        className: "failed",
        values: hours.map((_, i) => (s?.series[i]?.attempts ?? 0) - (s?.series[i]?.ok ?? 0)),
      },
    ],
    emptyText: "No attempts in the last 24 hours",
  });
}

// --- verification snippets ----------------------------------------------------------------------

const snippets = [
  [
    "Node.js / TypeScript (npm i standardwebhooks)",
    `import { Webhook } from "standardwebhooks";

const wh = new Webhook(process.env.SWITCHYARD_WEBHOOK_SECRET); // "whsec_…"
// body: the raw request body as a string; headers: the request's headers
const event = wh.verify(body, headers); // throws when the signature or timestamp is wrong`,
  ],
  [
    "Python (pip install standardwebhooks)",
    `from standardwebhooks.webhooks import Webhook

wh = Webhook(os.environ["SWITCHYARD_WEBHOOK_SECRET"])  # "whsec_…"
event = wh.verify(request.get_data(as_text=True), dict(request.headers))  # raises on a bad signature`,
  ],
  [
    "Go (go get github.com/standard-webhooks/standard-webhooks/libraries/go)",
    `wh, err := standardwebhooks.NewWebhook(os.Getenv("SWITCHYARD_WEBHOOK_SECRET"))
if err != nil { return err }
payload, _ := io.ReadAll(r.Body)
if err := wh.Verify(payload, r.Header); err != nil {
	http.Error(w, "bad signature", http.StatusUnauthorized)
	return
}`,
  ],
];

function renderSnippets() {
  $("snippets").replaceChildren(...snippets.map(([title, code], i) =>
    h(
      "div",
      { class: "snippet" },
      h(
        "div",
        { class: "copy-row" },
        h("h3", {}, title),
        h("button", { type: "button", class: "small", dataset: { copy: `snippet-${i}` } }, "Copy"),
      ),
      h("pre", { id: `snippet-${i}` }, code),
    )
  ));
}

document.addEventListener("click", async (e) => {
  const id = e.target.closest?.("[data-copy]")?.dataset.copy;
  if (!id) return;
  try {
    await navigator.clipboard.writeText($(id).textContent);
    toast("Copied.");
  } catch {
    getSelection().selectAllChildren($(id));
    toast("Selected: press Ctrl+C (⌘C) to copy.");
  }
});

// --- event log ----------------------------------------------------------------------------------

/** A datetime-local value (read as UTC, as the page shows) to ISO. */
const isoFromLocal = (
  v,
) => (v ? new Date(`${v}${v.length === 16 ? ":00" : ""}Z`).toISOString() : "");

async function loadEvents(more) {
  const f = $("events-form");
  const q = new URLSearchParams({ limit: "50" });
  for (const name of ["type", "entityType", "entityId"]) {
    if (f[name].value.trim()) q.set(name, f[name].value.trim());
  }
  if (f.from.value) q.set("from", isoFromLocal(f.from.value));
  if (f.to.value) q.set("to", isoFromLocal(f.to.value));
  if (more && state.eventsCursor) q.set("cursor", state.eventsCursor);
  $("events-error").textContent = "";
  try {
    const page = await api(`/events?${q}`);
    state.eventsCursor = page.nextCursor;
    renderEvents($("events").tBodies[0], page.items, { onEntity: showEntity, append: more });
    $("events-empty").hidden = more || page.items.length > 0;
    $("events-more").hidden = !page.nextCursor;
  } catch (err) {
    if (err instanceof UnauthorizedError) return refuse(ended);
    $("events-error").textContent = err.message;
  }
}
$("events-form").addEventListener("submit", (e) => {
  e.preventDefault();
  loadEvents(false);
});
$("events-more").addEventListener("click", () => loadEvents(true));

// --- entity timeline ----------------------------------------------------------------------------

function showEntity(e) {
  const f = $("timeline-form");
  f.entityType.value = e.entity.type;
  f.entityId.value = e.entity.id;
  selectTab($("tab-timeline"));
  loadTimeline(false);
}

async function loadTimeline(more) {
  const f = $("timeline-form");
  const type = f.entityType.value.trim(), id = f.entityId.value.trim();
  const q = new URLSearchParams({ limit: "100" });
  if (more && state.trace?.nextCursor) q.set("cursor", state.trace.nextCursor);
  $("timeline-error").textContent = "";
  try {
    const trace = await api(
      `/trace/${encodeURIComponent(type)}/${encodeURIComponent(id)}?${q}`,
    );
    state.trace = trace;
    renderTimeline($("timeline"), trace, { endpointName, append: more });
    $("timeline-more").hidden = !trace.nextCursor;
  } catch (err) {
    if (err instanceof UnauthorizedError) return refuse(ended);
    $("timeline-error").textContent = err.message;
  }
}
$("timeline-form").addEventListener("submit", (e) => {
  e.preventDefault();
  loadTimeline(false);
});
$("timeline-more").addEventListener("click", () => loadTimeline(true));

// --- dead letters -------------------------------------------------------------------------------

async function loadDeadLetters() {
  const { items } = await api("/dlq?limit=100");
  const body = $("dlq").tBodies[0];
  $("dlq").hidden = items.length === 0;
  $("dlq-empty").hidden = items.length > 0;
  $("replay-all").disabled = items.length === 0;
  body.replaceChildren(...items.map((d) =>
    h(
      "tr",
      { dataset: { id: d.id } },
      h("td", { class: "nowrap" }, utc(d.deadAt)),
      h("td", {}, h("code", {}, d.eventType ?? d.eventId)),
      h("td", {}, endpointName(d.endpointId)),
      h("td", { class: "reason", title: d.reason ?? "" }, d.reason ?? ""),
      h("td", { class: "num" }, String(d.tries)),
      h("td", {}, actionButton("Replay", () => replay({ ids: [d.id] }), { extra: "replay" })),
    )
  ));
}

async function replay(body) {
  await guarded(async () => {
    const { replayed } = await api("/dlq/replay", { method: "POST", body: JSON.stringify(body) });
    toast(`Replayed ${replayed}: queued for delivery again.`);
    await loadDeadLetters();
  }, "Replay");
}
$("replay-all").addEventListener("click", () => replay({ all: true }));

open().catch((err) => refuse(`The portal could not start: ${err.message}`));
