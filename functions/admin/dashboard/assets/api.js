// One fetch wrapper for the pages: a bearer token, JSON in and out, a failure as one readable line.
export class UnauthorizedError extends Error {}

/** `api(path, init)` against `prefix`, with the token `token()` gives at the time of the call. */
export function jsonClient(prefix, token) {
  return async function api(path, init = {}) {
    const res = await fetch(`${prefix}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${token() ?? ""}`,
        ...(init.body ? { "content-type": "application/json" } : {}),
      },
    });
    if (res.status === 401) throw new UnauthorizedError("the key or session was refused");
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      const details = (body?.error?.details ?? []).map((d) => `${d.path}: ${d.message}`);
      const message = body?.error?.message ?? `${res.status} ${res.statusText}`;
      throw new Error(details.length ? `${message} (${details.join("; ")})` : message);
    }
    return body;
  };
}
