import { AdminCommand } from "../base.ts";
import { cell, type Column } from "../table.ts";

interface Status {
  status: "ok" | "degraded" | "down";
  checks: {
    database: { status: string; latencyMs?: number; error?: string };
    fastStore: {
      status: string;
      kind?: string;
      durable?: boolean;
      breaker?: string;
      error?: string;
    };
    relay: {
      status?: string;
      lagMs: number | null;
      lagEvents: number | null;
      stalled?: boolean;
      sinceProgressMs?: number | null;
    };
    deliveries: {
      due: number | null;
      dead: number | null;
      stalled?: boolean;
      oldestDueMs?: number | null;
    };
    conciliations?: { pending: number; exhausted: number };
    /** Under `npm start`: the supervised processes and their restarts. */
    processes?: {
      status: string;
      restarts: number;
      items: {
        name: string;
        pid: number | null;
        status: string;
        restarts: number;
        lastRestartAt: string | null;
      }[];
    };
  };
  /** Circuit breakers that are not closed: the stack's own and endpoints'. */
  breakers?: { name: string; tenant?: string; state: string; failureStreak?: number }[];
  tenants?: {
    tenant: string;
    status: string;
    events24h: number;
    eventsTotal: number;
    endpoints: number;
    deliveriesDue: number;
    deadLetters: number;
    conciliationsPending: number;
  }[];
}

const breakerColumns: Column<NonNullable<Status["breakers"]>[number]>[] = [
  { header: "breaker", get: (b) => b.name },
  { header: "tenant", get: (b) => b.tenant },
  { header: "state", get: (b) => b.state },
  { header: "failures", get: (b) => b.failureStreak },
];

const processColumns: Column<NonNullable<Status["checks"]["processes"]>["items"][number]>[] = [
  { header: "process", get: (p) => p.name },
  { header: "status", get: (p) => p.status },
  { header: "restarts", get: (p) => p.restarts },
  { header: "pid", get: (p) => p.pid },
  { header: "last restart", get: (p) => p.lastRestartAt },
];

const tenantColumns: Column<NonNullable<Status["tenants"]>[number]>[] = [
  { header: "tenant", get: (t) => t.tenant },
  { header: "status", get: (t) => t.status },
  { header: "events 24h", get: (t) => t.events24h },
  { header: "events", get: (t) => t.eventsTotal },
  { header: "endpoints", get: (t) => t.endpoints },
  { header: "due", get: (t) => t.deliveriesDue },
  { header: "dead", get: (t) => t.deadLetters },
  { header: "conciliations", get: (t) => t.conciliationsPending },
];

export default class StatusCommand extends AdminCommand {
  static summary =
    "Show the health of the stack: relay lag, delivery backlog, open breakers, conciliations, per-tenant counts";
  static description =
    "Exits 0 whenever Switchyard answers, also when it reports itself degraded or down; read `status` in --json.";
  static examples = [
    "<%= config.bin %> status",
    "<%= config.bin %> status --json | jq .checks.relay.lagMs",
  ];

  async run(): Promise<Status> {
    await this.parse(StatusCommand);
    const s = await this.api.get<Status>("/status");
    const c = s.checks;
    const store = c.fastStore;
    this.record({
      status: s.status,
      database: `${c.database.status}${
        c.database.latencyMs !== undefined ? ` (${c.database.latencyMs} ms)` : ""
      }${c.database.error ? ` — ${c.database.error}` : ""}`,
      "fast store": `${store.status} (${store.kind ?? "?"}${
        store.durable === false ? ", NOT durable" : ""
      }, breaker ${store.breaker ?? "?"})${store.error ? ` — ${store.error}` : ""}`,
      "relay lag": `${cell(c.relay.lagMs)} ms, ${cell(c.relay.lagEvents)} events${
        c.relay.status ? ` (${c.relay.status})` : ""
      }${c.relay.stalled ? ` — STALLED: no progress for ${c.relay.sinceProgressMs} ms` : ""}`,
      deliveries: `${cell(c.deliveries.due)} due, ${cell(c.deliveries.dead)} dead${
        c.deliveries.stalled
          ? ` — STALLED: due for ${c.deliveries.oldestDueMs} ms, nothing claims them`
          : ""
      }`,
      conciliations: c.conciliations
        ? `${c.conciliations.pending} pending, ${c.conciliations.exhausted} exhausted`
        : "not reported",
      "open breakers": s.breakers
        ? (s.breakers.length ? String(s.breakers.length) : "none")
        : "not reported",
      ...(c.processes
        ? { processes: `${c.processes.status}, ${c.processes.items.length} supervised` }
        : {}),
      ...(c.processes ? { restarts: String(c.processes.restarts) } : {}),
    });
    if (c.processes) {
      this.log("\nProcesses (npm start)");
      this.table(c.processes.items, processColumns);
    }
    if (s.breakers?.length) {
      this.log("\nCircuit breakers not closed");
      this.table(s.breakers, breakerColumns);
    }
    if (s.tenants) {
      this.log("\nPer tenant");
      this.table(s.tenants, tenantColumns, "(no tenants)");
    }
    return s;
  }
}
