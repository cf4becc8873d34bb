/**
 * The processes `npm start` supervises, as its supervisor (local/supervisor.ts) records them in
 * SWITCHYARD_SUPERVISOR_STATE; hosted deployments have no such file and report nothing.
 */

export interface SupervisedProcess {
  name: string;
  pid: number | null;
  /** running; restarting (waiting out its backoff); failed (crashed too often, given up on). */
  status: "running" | "restarting" | "failed" | "stopped";
  restarts: number;
  lastRestartAt: string | null;
  lastExit: { code: number; signal: string | null } | null;
}

export interface SupervisorState {
  pid: number;
  updatedAt: string;
  processes: SupervisedProcess[];
}

/** The recorded state, or null when there is none (not under `npm start`, or unreadable). */
export async function readSupervisorState(
  path: string | undefined,
): Promise<SupervisorState | null> {
  if (!path) return null;
  try {
    const parsed = JSON.parse(await Deno.readTextFile(path)) as SupervisorState;
    return Array.isArray(parsed.processes) ? parsed : null;
  } catch {
    return null;
  }
}
