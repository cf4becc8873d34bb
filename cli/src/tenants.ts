/** Tenant and API key shapes as the admin API answers them, and how a list of them reads. */
import type { Column } from "./table.ts";

export interface Tenant {
  slug: string;
  name: string;
  status: "active" | "disabled";
  createdAt: string;
}

export interface ApiKey {
  id: string;
  tenant: string;
  prefix: string;
  name: string;
  createdAt: string;
  lastUsedAt?: string | null;
  revokedAt?: string | null;
}

export const tenantColumns: Column<Tenant>[] = [
  { header: "slug", get: (t) => t.slug },
  { header: "name", get: (t) => t.name },
  { header: "status", get: (t) => t.status },
  { header: "created", get: (t) => t.createdAt },
];

export const keyColumns: Column<ApiKey>[] = [
  { header: "id", get: (k) => k.id },
  { header: "prefix", get: (k) => k.prefix },
  { header: "name", get: (k) => k.name },
  { header: "created", get: (k) => k.createdAt },
  { header: "last used", get: (k) => k.lastUsedAt },
  { header: "revoked", get: (k) => k.revokedAt },
];
