#!/usr/bin/env node
// The commands are TypeScript: tsx compiles them on load, so there is no build step to forget.
import { register } from "tsx/esm/api";

register();
const { execute } = await import("@oclif/core");
await execute({ dir: import.meta.url });
