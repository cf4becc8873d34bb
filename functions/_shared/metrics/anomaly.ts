/**
 * Anomaly detection on hourly event counts: a robust z-score of this hour's count against the
 * same hour of the past days (median and MAD, so one earlier spike does not hide the next one).
 */

export interface AnomalyRule {
  /** Same-hour values needed before anything is judged. */
  minHistory: number;
  /** |robust z| at or above this is an anomaly. */
  threshold: number;
  /** Smallest absolute difference from the median that can be an anomaly (ignores 0 → 3). */
  minDelta: number;
}

export const defaultRule: AnomalyRule = { minHistory: 3, threshold: 4, minDelta: 10 };

export interface Verdict {
  anomaly: boolean;
  direction: "spike" | "drop";
  value: number;
  median: number;
  /** The spread the score divides by: 1.4826·MAD, floored by the Poisson noise √median and 1. */
  scale: number;
  score: number;
}

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Median absolute deviation from the median. */
export function mad(values: number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

/** Judges `value` against `history` (the same hour on past days); null when history is too short. */
export function judge(
  value: number,
  history: number[],
  rule: AnomalyRule = defaultRule,
): Verdict | null {
  if (history.length < rule.minHistory) return null;
  const m = median(history);
  // Counts are Poisson-like: a flat history has MAD 0, yet ±√m is ordinary noise.
  const scale = Math.max(1.4826 * mad(history), Math.sqrt(m), 1);
  const score = (value - m) / scale;
  return {
    anomaly: Math.abs(score) >= rule.threshold && Math.abs(value - m) >= rule.minDelta,
    direction: value >= m ? "spike" : "drop",
    value,
    median: m,
    scale: Math.round(scale * 1000) / 1000,
    score: Math.round(score * 100) / 100,
  };
}
