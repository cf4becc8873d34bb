import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "./config.ts";

const minimal = {
  DATABASE_URL: "postgres://u@127.0.0.1:5432/db",
  SUPABASE_SERVICE_ROLE_KEY: "x".repeat(20),
};

Deno.test("a minimal environment gets the documented defaults", () => {
  const c = loadConfig(minimal);
  assert.equal(c.SWITCHYARD_PORT, 54321);
  assert.equal(c.RETENTION_DAYS, 30);
  assert.equal(c.SWITCHYARD_ALLOW_PRIVATE_TARGETS, false);
  assert.equal(c.TELEGRAM_API_ROOT, "https://api.telegram.org");
  assert.equal(c.UPSTASH_REDIS_REST_URL, undefined);
});

Deno.test("every bad variable is named in the error", () => {
  assert.throws(
    () =>
      loadConfig({
        DATABASE_URL: "nonsense",
        SWITCHYARD_PORT: "http",
        RETENTION_DAYS: "-1",
        UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079",
      }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      const text = err.message;
      for (
        const name of [
          "DATABASE_URL",
          "SUPABASE_SERVICE_ROLE_KEY is required",
          "SWITCHYARD_PORT",
          "RETENTION_DAYS",
          "UPSTASH_REDIS_REST_TOKEN",
        ]
      ) {
        assert.ok(text.includes(name), `${name} in: ${text}`);
      }
      return true;
    },
  );
});

Deno.test("empty strings count as unset and flags accept 1/true", () => {
  const c = loadConfig({
    ...minimal,
    TELEGRAM_BOT_TOKEN: "",
    SWITCHYARD_ALLOW_PRIVATE_TARGETS: "1",
  });
  assert.equal(c.TELEGRAM_BOT_TOKEN, undefined);
  assert.equal(c.SWITCHYARD_ALLOW_PRIVATE_TARGETS, true);
  assert.throws(
    () => loadConfig({ ...minimal, SWITCHYARD_ENCRYPTION_KEY: "c2hvcnQ=" }),
    /SWITCHYARD_ENCRYPTION_KEY must be 32 bytes/,
  );
});
