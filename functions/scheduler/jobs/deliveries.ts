import type { Job } from "../jobs.ts";

export const deliveriesJob: Job = { name: "deliveries", run: () => Promise.resolve(Infinity) };
