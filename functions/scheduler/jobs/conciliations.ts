import type { Job } from "../jobs.ts";

export const conciliationsJob: Job = { name: "conciliations", run: () => Promise.resolve(Infinity) };
