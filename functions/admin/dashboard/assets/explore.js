// The dashboard's explorer: endpoints by health, the event log across tenants and any entity's timeline.
import { h } from "./dom.js";
import { num } from "./format.js";
import { renderEvents } from "./eventlog.js";
import { renderTimeline } from "./timeline.js";

const $ = (id) => document.getElementById(id);
const isoFromLocal = (
  v,
) => (v ? new Date(`${v}${v.length === 16 ? ":00" : ""}Z`).toISOString() : "");

/** `api` is the dashboard's client; `tenant()` the tenant chosen at the top ("" for all). */
export function startExplorer(api, tenant) {
  const names = new Map();
  let eventsCursor = null;
  let trace = null;

  async function refreshHealth() {
    const q = tenant() ? `?tenant=${encodeURIComponent(tenant())}` : "";
    const { items } = await api(`/dashboard/api/endpoints${q}`);
    for (const e of items) names.set(e.id, `${e.name ?? e.url ?? e.id} (${e.tenant})`);
    $("health-empty").hidden = items.length > 0;
    $("health").hidden = items.length === 0;
    $("health").tBodies[0].replaceChildren(...items.map((e) =>
      h(
        "tr",
        { dataset: { id: e.id, health: e.health } },
        h("td", {}, h("span", { class: `badge ${badge[e.health]}` }, e.health)),
        h("td", {}, e.tenant),
        h(
          "td",
          {},
          h("div", {}, e.name ?? e.url ?? e.id),
          h("div", { class: "muted" }, h("code", {}, e.id)),
        ),
        h("td", { class: "num" }, num(e.failureStreak)),
        h("td", { class: "num" }, num(e.pending)),
        h("td", { class: "num" }, num(e.deadLetters)),
        h("td", { class: "num" }, `${num(e.okLastHour)} / ${num(e.attemptsLastHour)}`),
        h("td", { class: "reason", title: e.disabledReason ?? "" }, e.disabledReason ?? ""),
      )
    ));
  }

  async function loadEvents(more) {
    const f = $("browse-form");
    const q = new URLSearchParams({ limit: "50" });
    if (tenant()) q.set("tenant", tenant());
    for (const name of ["type", "entityType", "entityId"]) {
      if (f[name].value.trim()) q.set(name, f[name].value.trim());
    }
    if (f.from.value) q.set("from", isoFromLocal(f.from.value));
    if (f.to.value) q.set("to", isoFromLocal(f.to.value));
    if (more && eventsCursor) q.set("cursor", eventsCursor);
    $("browse-error").textContent = "";
    try {
      const page = await api(`/events?${q}`);
      eventsCursor = page.nextCursor;
      renderEvents($("browse").tBodies[0], page.items, {
        showTenant: true,
        append: more,
        onEntity: (e) => showEntity(e.tenant, e.entity.type, e.entity.id),
      });
      $("browse-empty").hidden = more || page.items.length > 0;
      $("browse-more").hidden = !page.nextCursor;
    } catch (err) {
      $("browse-error").textContent = err.message;
    }
  }

  function showEntity(t, type, id) {
    const f = $("trace-form");
    f.tenant.value = t;
    f.entityType.value = type;
    f.entityId.value = id;
    loadTrace(false);
    $("trace-card").scrollIntoView({ block: "start" });
  }

  async function loadTrace(more) {
    const f = $("trace-form");
    const q = new URLSearchParams({ tenant: f.tenant.value, limit: "100" });
    if (more && trace?.nextCursor) q.set("cursor", trace.nextCursor);
    $("trace-error").textContent = "";
    try {
      trace = await api(
        `/trace/${encodeURIComponent(f.entityType.value.trim())}/${
          encodeURIComponent(f.entityId.value.trim())
        }?${q}`,
      );
      renderTimeline($("trace"), trace, {
        endpointName: (id) => names.get(id) ?? id,
        append: more,
      });
      $("trace-more").hidden = !trace.nextCursor;
    } catch (err) {
      $("trace-error").textContent = err.message;
    }
  }

  $("browse-form").addEventListener("submit", (e) => {
    e.preventDefault();
    loadEvents(false);
  });
  $("browse-more").addEventListener("click", () => loadEvents(true));
  $("trace-form").addEventListener("submit", (e) => {
    e.preventDefault();
    loadTrace(false);
  });
  $("trace-more").addEventListener("click", () => loadTrace(true));

  return {
    /** With the tenants known: the timeline's tenant picker. */
    setTenants(items) {
      const select = $("trace-form").tenant;
      const chosen = select.value;
      select.replaceChildren(...items.map((t) => new Option(`${t.name} (${t.slug})`, t.slug)));
      if (items.some((t) => t.slug === chosen)) select.value = chosen;
    },
    /** Every refresh: the health list. The browser keeps its page until searched again. */
    refresh: refreshHealth,
    browse: () => loadEvents(false),
  };
}

const badge = {
  "breaker open": "dead",
  failing: "pending",
  disabled: "cancelled",
  healthy: "delivered",
};
