/**
 * The scheduler's one outbound call: wake a pipeline route (`deliver`, `conciliate`) with the
 * service key and a deadline. The function does the work; it answers when the next item is due.
 */
import type { AppContext } from "../../functions/_shared/context.ts";

/** `deliver` answers once its drain has started; `conciliate` after a round of at most 20 s. */
export const WAKE_DEADLINE_MS = 30_000;

export class WakeFailedError extends Error {
  constructor(readonly route: string, message: string) {
    super(`waking pipeline/${route} failed: ${message}`);
    this.name = "WakeFailedError";
  }
}

/** Resolves to ms until the function's next due item if it says (null: none or not said); throws WakeFailedError. */
export async function wakeFunction(
  ctx: AppContext,
  route: "deliver" | "conciliate",
  deadlineMs = WAKE_DEADLINE_MS,
): Promise<number | null> {
  const url = `${ctx.config.SUPABASE_URL.replace(/\/+$/, "")}/functions/v1/pipeline/${route}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${ctx.config.SUPABASE_SERVICE_ROLE_KEY}` },
      signal: AbortSignal.timeout(deadlineMs),
    });
  } catch (err) {
    throw new WakeFailedError(route, (err as Error).message);
  }
  const text = await res.text();
  if (!res.ok) throw new WakeFailedError(route, `HTTP ${res.status}: ${text.slice(0, 200)}`);
  try {
    const { nextDueInMs } = JSON.parse(text) as { nextDueInMs?: number | null };
    return nextDueInMs ?? null;
  } catch {
    throw new WakeFailedError(route, `not JSON: ${text.slice(0, 200)}`);
  }
}
