/** Portal links as the admin API answers them, and how they read in a table. */
import type { Column } from "./table.ts";

export interface PortalLink {
  id: string;
  tenant: string;
  readOnly: boolean;
  note: string | null;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export function linkState(l: PortalLink, now = Date.now()): string {
  if (l.revokedAt) return "revoked";
  return Date.parse(l.expiresAt) <= now ? "expired" : "active";
}

export const linkColumns: Column<PortalLink>[] = [
  { header: "id", get: (l) => l.id },
  { header: "access", get: (l) => (l.readOnly ? "read-only" : "full") },
  { header: "state", get: (l) => linkState(l) },
  { header: "expires", get: (l) => l.expiresAt },
  { header: "last used", get: (l) => l.lastUsedAt },
  { header: "note", get: (l) => l.note },
];
