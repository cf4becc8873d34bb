// An entity's timeline: its events in order, DTO writes marked, each delivery with every attempt.
import { h, utc } from "./dom.js";
import { ms } from "./format.js";

const statusText = {
  delivered: "delivered",
  pending: "retrying",
  dead: "dead letter",
  cancelled: "cancelled",
};

function attemptItem(a, i) {
  const outcome = a.ok ? "ok" : "failed";
  return h(
    "li",
    { class: `attempt ${outcome}` },
    h("span", { class: "attempt-n" }, `#${i + 1}`),
    h("span", { class: `badge ${outcome}` }, a.ok ? "ok" : "failed"),
    h("span", {}, a.status === null ? "no answer" : `HTTP ${a.status}`),
    h("span", { class: "muted" }, ms(a.latencyMs)),
    h("time", { class: "muted", datetime: a.at }, utc(a.at)),
    a.error && a.error !== `HTTP ${a.status}`
      ? h("span", { class: "attempt-error" }, a.error)
      : null,
    a.responseExcerpt ? h("pre", { class: "excerpt" }, a.responseExcerpt) : null,
  );
}

function deliveryItem(d, endpointName) {
  const name = endpointName(d.endpointId);
  return h(
    "li",
    { class: `delivery ${d.status}`, dataset: { id: d.id, status: d.status } },
    h(
      "div",
      { class: "delivery-head" },
      h("span", { class: `badge ${d.status}` }, statusText[d.status] ?? d.status),
      h("span", {}, name),
      d.replay ? h("span", { class: "badge" }, "replay") : null,
      h(
        "span",
        { class: "muted" },
        `${d.attempts.length} attempt${d.attempts.length === 1 ? "" : "s"}`,
      ),
      d.status === "pending" && d.nextAttemptAt
        ? h("span", { class: "muted" }, `next try ${utc(d.nextAttemptAt)}`)
        : null,
    ),
    d.status === "cancelled" && d.lastError ? h("p", { class: "reason" }, d.lastError) : null,
    d.attempts.length ? h("ol", { class: "attempts" }, d.attempts.map(attemptItem)) : null,
  );
}

function dtoNote(e) {
  if (!e.type.startsWith("dto.")) return null;
  const d = e.data ?? {};
  const what = e.type === "dto.updated"
    ? `DTO write: ${d.dtoType} ${d.key} → v${d.version}`
    : `${e.type.replace("dto.", "DTO ")}: ${d.dtoType ?? ""} ${d.key ?? ""}`;
  return h("span", { class: `badge dto ${e.type === "dto.failed" ? "failed" : ""}` }, what);
}

/**
 * Draws `trace` ({entity, items, nextCursor}) into `target`; `endpointName(id)` labels deliveries.
 * With `append`, the items are added below what is there (the next page).
 */
export function renderTimeline(target, trace, { endpointName = (id) => id, append = false } = {}) {
  let list = append ? target.querySelector("ol.timeline") : null;
  if (!list) {
    list = h("ol", {
      class: "timeline",
      "aria-label": `Timeline of ${trace.entity.type} ${trace.entity.id}`,
    });
    target.replaceChildren(list);
  }
  if (!append && !trace.items.length) {
    target.replaceChildren(h("div", { class: "empty" }, "No events for this entity."));
    return;
  }
  list.append(...trace.items.map((e) =>
    h(
      "li",
      { class: "tl-event", dataset: { id: e.id, type: e.type } },
      h(
        "div",
        { class: "tl-head" },
        h("span", { class: "tl-version" }, `v${e.version}`),
        h("code", {}, e.type),
        dtoNote(e),
        h("time", { class: "muted", datetime: e.timestamp }, utc(e.timestamp)),
      ),
      h(
        "details",
        {},
        h("summary", {}, "Event data"),
        h(
          "pre",
          { class: "json" },
          JSON.stringify({ data: e.data, metadata: e.metadata }, null, 2),
        ),
      ),
      e.deliveries.length
        ? h("ul", { class: "deliveries" }, e.deliveries.map((d) => deliveryItem(d, endpointName)))
        : null,
    )
  ));
}
