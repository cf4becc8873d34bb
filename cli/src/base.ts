/** What every command shares: `--json`, the admin client, tables, and errors as one line with exit 0/1/2. */
import { Command, Errors } from "@oclif/core";
import { AdminClient } from "./client.ts";
import { loadConfig } from "./config.ts";
import { UserError } from "./errors.ts";
import { type Column, renderRecord, renderTable } from "./table.ts";

export abstract class AdminCommand extends Command {
  static enableJsonFlag = true;

  private client?: AdminClient;

  /** The admin client, configured on first use so `--help` and usage errors never need a stack. */
  protected get api(): AdminClient {
    this.client ??= new AdminClient(loadConfig());
    return this.client;
  }

  protected table<T>(rows: T[], columns: Column<T>[], empty?: string) {
    this.log(renderTable(rows, columns, empty));
  }

  /** A keyset page: its table, and how to get the next one. */
  protected page<T>(
    page: { items: T[]; nextCursor: string | null },
    columns: Column<T>[],
    empty: string,
  ) {
    this.table(page.items, columns, empty);
    if (page.nextCursor) this.note(`\nmore: add --cursor ${page.nextCursor}`);
  }

  protected record(record: Record<string, unknown>) {
    this.log(renderRecord(record));
  }

  /** Progress and notes go to stderr, so stdout stays the answer; silent with `--json`. */
  protected note(message: string) {
    this.logToStderr(message);
  }

  protected async catch(
    err: Error & { oclif?: { exit?: number }; skipOclifErrorHandling?: boolean },
  ): Promise<unknown> {
    if (err instanceof Errors.ExitError) throw err;
    const usage = !(err instanceof UserError) && err.oclif?.exit === 2;
    const exit = err instanceof UserError ? err.exitCode : usage ? 2 : 1;
    const code = err instanceof UserError ? err.code : usage ? "usage" : "internal";
    const details = err instanceof UserError ? err.details : [];
    // Anything not ours is a bug: say so in one line; DEBUG=* shows the stack.
    const message = err instanceof UserError || usage
      ? oneLine(err.message)
      : `unexpected error: ${err.message}`;
    if (this.jsonEnabled()) {
      this.logJson({ error: { code, message, details } });
    } else {
      process.stderr.write(`Error: ${message}\n`);
      for (const d of details) {
        process.stderr.write(`  ${d.path ? `${d.path}: ` : ""}${d.message}\n`);
      }
      if (exit === 2) {
        process.stderr.write(
          `See: ${this.config.bin} ${this.id?.replaceAll(":", " ") ?? ""} --help\n`,
        );
      }
    }
    if (!(err instanceof UserError) && !usage) this.debug(err.stack);
    return this.exit(exit);
  }
}

/** oclif's parse errors span lines ("Parsing --x\n\t…\nSee more help"); the CLI says one thing per line. */
function oneLine(message: string): string {
  return message
    .replace(/^Parsing --\S+\s*\n\t/, "")
    .replace(/^The following errors? occurred:\s*\n\s*/, "")
    .replace(/\s*\nSee more help with --help\s*$/, "")
    .replace(/\s*\n\s*/g, "; ");
}
