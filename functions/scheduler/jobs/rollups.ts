import type { Job } from "../jobs.ts";

export const rollupsJob: Job = { name: "rollups", run: () => Promise.resolve(Infinity) };
