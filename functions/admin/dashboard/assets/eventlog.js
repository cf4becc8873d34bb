// The event log as a table (the portal's, the dashboard's across tenants): newest first, each entity a link to its timeline.
import { h, utc } from "./dom.js";

/** Renders `items` into `tbody`; `onEntity(event)` opens the entity's timeline. */
export function renderEvents(tbody, items, { showTenant = false, onEntity, append = false } = {}) {
  const rows = items.map((e) =>
    h(
      "tr",
      { dataset: { id: e.id } },
      h("td", { class: "nowrap" }, h("time", { datetime: e.timestamp }, utc(e.timestamp))),
      showTenant ? h("td", {}, e.tenant) : null,
      h("td", {}, h("code", {}, e.type)),
      h(
        "td",
        {},
        h("button", {
          type: "button",
          class: "link entity",
          "aria-label": `Timeline of ${e.entity.type} ${e.entity.id}`,
          onclick: () => onEntity?.(e),
        }, `${e.entity.type} ${e.entity.id}`),
      ),
      h("td", { class: "num" }, String(e.version)),
    )
  );
  if (append) tbody.append(...rows);
  else tbody.replaceChildren(...rows);
}
