// Building DOM nodes without innerHTML: text is always text, never markup.
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c !== undefined && c !== null && c !== false) node.append(c);
  }
  return node;
}

/** An ISO time as `2026-12-01 12:34:56 UTC`: the pages show UTC everywhere. */
export function utc(iso) {
  return iso ? iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "") + " UTC" : "—";
}

/** A short message in the page's #toast (a status region), gone after a few seconds. */
export function toast(message, bad = false) {
  const t = document.getElementById("toast");
  t.textContent = message;
  t.className = `toast${bad ? " bad" : ""}`;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.hidden = true), 5000);
}
