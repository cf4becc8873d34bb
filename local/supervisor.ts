/**
 * `npm start`'s supervisor: restarts a crashed child with backoff, gives up loudly on one that
 * crashes too often in a short window, logs each restart, and records every child's state in a
 * file that /health reads (functions/_shared/processes.ts). stopAll() stops them in reverse order.
 */
import type { Logger } from "../functions/_shared/log.ts";
import { retryDelayMs } from "../functions/_shared/retry.ts";
import { sleep } from "../functions/_shared/clock.ts";
import type { SupervisedProcess, SupervisorState } from "../functions/_shared/processes.ts";
import type { Child } from "./process.ts";

export interface Service {
  name: string;
  /** Starts the process and resolves once it is ready (its port answers, say). */
  start(): Promise<Child>;
  /** Default: the child's own stop(). */
  stop?(child: Child): Promise<void>;
}

export interface SupervisorOptions {
  log: Logger;
  /** Where the state is written for /health and `switchyard status`. */
  statePath: string;
  /** Give up on a service after this many crashes within `windowMs`. Default: 5 in 60 s. */
  maxCrashes?: number;
  windowMs?: number;
  /** Restart backoff: base and cap. Default: 250 ms doubling to 5 s. */
  backoff?: { baseMs: number; maxMs: number };
}

interface Entry {
  service: Service;
  child: Child | null;
  state: SupervisedProcess;
  crashes: number[];
}

export class Supervisor {
  #entries: Entry[] = [];
  #stopping = false;
  #stopped = new AbortController();
  #writing: Promise<void> = Promise.resolve();
  readonly #maxCrashes: number;
  readonly #windowMs: number;
  readonly #backoff: { baseMs: number; maxMs: number };

  constructor(private readonly opts: SupervisorOptions) {
    this.#maxCrashes = opts.maxCrashes ?? 5;
    this.#windowMs = opts.windowMs ?? 60_000;
    this.#backoff = opts.backoff ?? { baseMs: 250, maxMs: 5_000 };
  }

  /** Starts `service` (a failure here is thrown: start-up fails) and watches it from then on. */
  async add(service: Service): Promise<Child> {
    const entry: Entry = {
      service,
      child: null,
      crashes: [],
      state: {
        name: service.name,
        pid: null,
        status: "running",
        restarts: 0,
        lastRestartAt: null,
        lastExit: null,
      },
    };
    this.#entries.push(entry);
    const child = await service.start();
    this.#running(entry, child);
    return child;
  }

  /** Each service's state as last recorded. */
  get processes(): SupervisedProcess[] {
    return this.#entries.map((e) => ({ ...e.state }));
  }

  #running(entry: Entry, child: Child) {
    entry.child = child;
    entry.state.pid = child.process.pid;
    entry.state.status = "running";
    this.#record();
    void child.process.status.then((s) => this.#exited(entry, child, s));
  }

  async #exited(entry: Entry, child: Child, s: Deno.CommandStatus) {
    if (this.#stopping || entry.child !== child) return;
    entry.child = null;
    entry.state.pid = null;
    entry.state.lastExit = { code: s.code, signal: s.signal };
    const now = Date.now();
    entry.crashes = [...entry.crashes.filter((t) => now - t < this.#windowMs), now];
    if (entry.crashes.length > this.#maxCrashes) return this.#giveUp(entry, s);
    entry.state.status = "restarting";
    this.#record();
    for (let attempt = entry.crashes.length - 1; !this.#stopping; attempt++) {
      const delayMs = retryDelayMs(attempt, this.#backoff);
      this.opts.log.warn(`${entry.service.name} exited; restarting`, {
        process: entry.service.name,
        code: s.code,
        signal: s.signal,
        delayMs,
        restarts: entry.state.restarts,
      });
      await sleep(delayMs, this.#stopped.signal);
      if (this.#stopping) return;
      try {
        const started = await entry.service.start();
        if (this.#stopping) {
          await this.#stopChild(entry.service, started);
          return;
        }
        entry.state.restarts++;
        entry.state.lastRestartAt = new Date().toISOString();
        this.opts.log.warn(`${entry.service.name} restarted`, {
          process: entry.service.name,
          pid: started.process.pid,
          restarts: entry.state.restarts,
        });
        this.#running(entry, started);
        return;
      } catch (err) {
        this.opts.log.error(`${entry.service.name} did not start again; retrying`, {
          process: entry.service.name,
          err,
        });
        const at = Date.now();
        entry.crashes = [...entry.crashes.filter((t) => at - t < this.#windowMs), at];
        if (entry.crashes.length > this.#maxCrashes) return this.#giveUp(entry, s);
      }
    }
  }

  #giveUp(entry: Entry, s: Deno.CommandStatus) {
    entry.state.status = "failed";
    this.#record();
    this.opts.log.error(
      `GIVING UP on ${entry.service.name}: it crashed ${entry.crashes.length} times within ${
        this.#windowMs / 1000
      } s; the stack runs without it (see its log above, fix it, then restart npm start)`,
      { process: entry.service.name, code: s.code, signal: s.signal },
    );
  }

  #stopChild(service: Service, child: Child) {
    return (service.stop ?? ((c: Child) => c.stop()))(child);
  }

  /** Writes are queued, so the file always ends with the latest state. */
  #record() {
    const state: SupervisorState = {
      pid: Deno.pid,
      updatedAt: new Date().toISOString(),
      processes: this.processes,
    };
    const path = this.opts.statePath;
    this.#writing = this.#writing.then(async () => {
      await Deno.writeTextFile(`${path}.tmp`, JSON.stringify(state));
      await Deno.rename(`${path}.tmp`, path);
    }).catch((err) => this.opts.log.warn("could not record the supervisor state", { err }));
  }

  /** Stops restarting, then stops every running service, last started first. */
  async stopAll(): Promise<void> {
    this.#stopping = true;
    this.#stopped.abort();
    for (const entry of [...this.#entries].reverse()) {
      const child = entry.child;
      entry.child = null;
      if (child) await this.#stopChild(entry.service, child).catch(() => {});
      entry.state.status = "stopped";
      entry.state.pid = null;
    }
    await this.#writing;
    await Deno.remove(this.opts.statePath).catch(() => {});
  }
}
