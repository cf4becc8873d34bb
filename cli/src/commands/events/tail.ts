import { Flags } from "@oclif/core";
import { AdminCommand } from "../../base.ts";
import { type Envelope, eventLine } from "../../events.ts";
import { tenant } from "../../flags.ts";

/** Long-poll wait per request; the admin route allows up to 25 s. */
const WAIT_MS = 25_000;

export default class EventsTail extends AdminCommand {
  static summary = "Follow a tenant's new events live, until Ctrl-C";
  static description = "With --json, prints one event envelope per line (NDJSON) as it arrives.";
  static examples = [
    "<%= config.bin %> events tail --tenant acme",
    "<%= config.bin %> events tail --tenant acme --json | jq -c '{type, entity}'",
    "<%= config.bin %> events tail --tenant acme --count 1",
  ];
  static flags = {
    tenant: tenant({ required: true }),
    count: Flags.integer({ description: "stop after this many events", min: 1 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(EventsTail);
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    let seen = 0;
    const poll = (after: string, waitMs: number) =>
      this.api.get<{ items: Envelope[]; cursor: string }>(
        "/events/tail",
        { tenant: flags.tenant, after, waitMs },
        { timeoutMs: waitMs + 15_000, signal: stop.signal },
      );
    // Fix the starting point before saying so: what arrives after "following" is never missed.
    let cursor = (await poll("", 0)).cursor;
    // On stderr even with --json: a script can wait for it before it sends.
    process.stderr.write(`following ${flags.tenant}'s events (Ctrl-C to stop)…\n`);
    try {
      while (!stop.signal.aborted) {
        const page = await poll(cursor, WAIT_MS)
          .catch((err) => {
            if (stop.signal.aborted) return undefined;
            throw err;
          });
        if (!page) break;
        cursor = page.cursor;
        for (const event of page.items) {
          process.stdout.write(
            `${this.jsonEnabled() ? JSON.stringify(event) : eventLine(event)}\n`,
          );
          if (flags.count && ++seen >= flags.count) return;
        }
      }
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  }
}
