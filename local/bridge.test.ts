/** The bridge, driven by the real Upstash clients with their defaults (auto-pipelining, base64). */
import assert from "node:assert/strict";
import { Redis } from "@upstash/redis";
import { Ratelimit } from "@upstash/ratelimit";
import { Lock } from "@upstash/lock";
import { createHash } from "node:crypto";
import { freePort } from "./ports.ts";
import { startRedis } from "./redis.ts";
import { startBridge } from "./bridge.ts";

const TOKEN = "bridge-test-token";

Deno.test("the bridge speaks the Upstash REST API to the Upstash clients", async (t) => {
  const server = await startRedis({ port: freePort() });
  const bridge = await startBridge({ port: freePort(), redisPort: server.port, token: TOKEN })
    .catch(
      async (e) => {
        await server.stop();
        throw e;
      },
    );
  const redis = new Redis({ url: bridge.url, token: TOKEN });
  const pipelines = () => (redis as unknown as { pipelineCounter: number }).pipelineCounter;
  // @upstash/lock's typings resolve @upstash/redis through its CommonJS .d.ts: same class, other type.
  const lockRedis = redis as unknown as ConstructorParameters<typeof Lock>[0]["redis"];
  const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");
  const raw = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(bridge.url + path, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, ...headers },
      body: JSON.stringify(body),
    });

  try {
    await t.step("strings, numbers, JSON and null round-trip", async () => {
      assert.equal(await redis.set("s", "héllo wörld ✓"), "OK");
      assert.equal(await redis.get("s"), "héllo wörld ✓");
      await redis.set("n", 42);
      assert.equal(await redis.get("n"), 42);
      assert.equal(await redis.incrby("n", 8), 50);
      await redis.set("obj", { a: [1, "x"], b: null });
      assert.deepEqual(await redis.get("obj"), { a: [1, "x"], b: null });
      assert.equal(await redis.get("missing"), null);
      assert.equal(await redis.set("s", "other", { nx: true }), null);
      assert.deepEqual(await redis.mget("s", "missing", "n"), ["héllo wörld ✓", null, 50]);
    });

    await t.step("large values and long pipelines survive replies split across reads", async () => {
      const big = "ä".repeat(1_500_000) + "end";
      await redis.set("big", big);
      assert.equal(await redis.get("big"), big);
      const p = redis.pipeline();
      for (let i = 0; i < 5_000; i++) p.incr("many");
      const res = await p.exec();
      assert.equal(res.length, 5_000);
      assert.equal(res[4_999], 5_000);
    });

    await t.step("concurrent calls are auto-pipelined into one request", async () => {
      const before = pipelines();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => redis.incrby("auto", i)),
      );
      assert.equal(pipelines() - before, 1);
      assert.equal(results[19], Array.from({ length: 20 }, (_, i) => i).reduce((a, b) => a + b));
    });

    await t.step("hashes", async () => {
      assert.equal(await redis.hset("h", { name: "ana", age: 30 }), 2);
      assert.equal(await redis.hget("h", "name"), "ana");
      assert.equal(await redis.hincrby("h", "age", 1), 31);
      assert.deepEqual(await redis.hgetall("h"), { name: "ana", age: 31 });
      assert.equal(await redis.hgetall("no-such-hash"), null);
    });

    await t.step("sorted sets", async () => {
      await redis.zadd("z", { score: 2, member: "b" }, { score: 1, member: "a" }, {
        score: 3,
        member: "c",
      });
      assert.deepEqual(await redis.zrange("z", 0, -1), ["a", "b", "c"]);
      assert.deepEqual(await redis.zrange("z", 0, 0, { withScores: true }), ["a", 1]);
      assert.equal(await redis.zscore("z", "c"), 3);
      assert.equal(await redis.zrank("z", "b"), 1);
      assert.equal(await redis.zcard("z"), 3);
    });

    await t.step("an explicit pipeline answers every command in order", async () => {
      const p = redis.pipeline();
      p.set("p1", "v1").incr("p2").get("p1").lpush("pl", "x", "y").lrange("pl", 0, -1);
      assert.deepEqual(await p.exec(), ["OK", 1, "v1", 2, ["y", "x"]]);
    });

    await t.step("a failing command is an error, its pipeline neighbours still run", async () => {
      await redis.set("text", "abc");
      await assert.rejects(() => redis.incr("text"), /not an integer/);
      const res = await redis.pipeline().incr("pc").incr("text").incr("pc").exec({
        keepErrors: true,
      });
      assert.deepEqual(res.map((r) => r.result), [1, undefined, 2]);
      assert.match(String(res[1].error), /not an integer/);
      const single = await raw("/", ["INCR", "text"]);
      assert.equal(single.status, 400);
      assert.match((await single.json()).error, /^ERR value is not an integer/);
    });

    await t.step("multi() runs a transaction and reports per-command errors", async () => {
      const res = await redis.multi().set("m", 1).incr("m").get("m").exec();
      assert.deepEqual(res, ["OK", 2, 2]);
      const mixed = await redis.multi().incr("m").incr("text").exec({ keepErrors: true });
      assert.equal(mixed[0].result, 3);
      assert.match(String(mixed[1].error), /not an integer/);
    });

    await t.step("a transaction with an invalid command is discarded as a whole", async () => {
      const res = await raw("/multi-exec", [["SET", "discarded", "1"], ["SET", "only-a-key"]]);
      assert.equal(res.status, 400);
      assert.match((await res.json()).error, /wrong number of arguments/);
      assert.equal(await redis.exists("discarded"), 0);
    });

    await t.step("concurrent transactions never interleave", async () => {
      // Each transaction is larger than one Redis socket read (16 KiB), so non-atomic runs would mix.
      const txs = 30, per = 200, pad = "x".repeat(100);
      await Promise.all(Array.from({ length: txs }, (_, t) => {
        const tx = redis.multi();
        for (let i = 0; i < per; i++) tx.rpush("txlog", `${t}:${i}:${pad}`);
        return tx.exec();
      }));
      const log = await redis.lrange("txlog", 0, -1);
      assert.equal(log.length, txs * per);
      for (let at = 0; at < log.length; at += per) {
        const owner = log[at].split(":")[0];
        const block = log.slice(at, at + per);
        assert.deepEqual(block, Array.from({ length: per }, (_, i) => `${owner}:${i}:${pad}`));
      }
    });

    await t.step("EVAL runs real Lua with keys and arguments", async () => {
      await redis.set("ek", "ev");
      const res = await redis.eval("return {KEYS[1], ARGV[1], redis.call('GET', KEYS[1]), 7}", [
        "ek",
      ], ["arg"]);
      assert.deepEqual(res, ["ek", "arg", "ev", 7]);
    });

    await t.step("EVALSHA falls back to EVAL on NOSCRIPT, then hits the cache", async () => {
      await redis.scriptFlush();
      const text = "return 'script:' .. ARGV[1]";
      await assert.rejects(() => redis.evalsha(sha1(text), [], ["x"]), /NOSCRIPT/);
      assert.equal(await redis.createScript<string>(text).exec([], ["one"]), "script:one");
      assert.equal(await redis.evalsha(sha1(text), [], ["two"]), "script:two");
      const sha = await redis.scriptLoad("return 41 + 1");
      assert.equal(await redis.evalsha(sha, [], []), 42);
      assert.deepEqual(await redis.scriptExists(sha, "0".repeat(40)), [1, 0]);
    });

    await t.step(
      "Upstash's allow-key-locking shebang flag is accepted and keeps its SHA",
      async () => {
        const text = "#!lua flags=allow-key-locking\nreturn tonumber(ARGV[1]) * 2";
        assert.equal(await redis.createScript<number>(text).exec([], ["21"]), 42);
        assert.equal(await redis.evalsha(sha1(text), [], ["5"]), 10);
        assert.equal(await redis.scriptLoad(text), sha1(text));
      },
    );

    await t.step(
      "with Upstash-Encoding: base64 every string is encoded, integers and null not",
      async () => {
        await redis.del("b64");
        await redis.rpush("b64", "a", "ü");
        const res = await raw("/pipeline", [["LRANGE", "b64", 0, -1], ["LLEN", "b64"], [
          "GET",
          "none",
        ], ["SET", "x", "y"]], {
          "Upstash-Encoding": "base64",
        });
        assert.deepEqual(await res.json(), [{ result: ["YQ==", "w7w="] }, { result: 2 }, {
          result: null,
        }, { result: "OK" }]);
        const plain = await raw("/", ["LRANGE", "b64", 0, -1]);
        assert.deepEqual(await plain.json(), { result: ["a", "ü"] });
      },
    );

    await t.step("the path form takes arguments from the URL", async () => {
      const set = await fetch(`${bridge.url}/set/pathkey/pathvalue?EX=100`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.deepEqual(await set.json(), { result: "OK" });
      const get = await fetch(`${bridge.url}/get/pathkey?_token=${TOKEN}`);
      assert.deepEqual(await get.json(), { result: "pathvalue" });
      assert.ok((await redis.ttl("pathkey")) > 90);
    });

    await t.step("a bad token is 401 Unauthorized", async () => {
      const res = await fetch(bridge.url + "/", {
        method: "POST",
        headers: { authorization: "Bearer nope" },
        body: '["PING"]',
      });
      assert.equal(res.status, 401);
      assert.deepEqual(await res.json(), { error: "Unauthorized" });
      const intruder = new Redis({ url: bridge.url, token: "nope" });
      await assert.rejects(() => intruder.get("s"), /Unauthorized/);
    });

    await t.step("@upstash/ratelimit sliding window enforces its limit", async () => {
      const limiter = new Ratelimit({
        redis,
        limiter: Ratelimit.slidingWindow(3, "10 s"),
        prefix: `rl-${crypto.randomUUID()}`,
        ephemeralCache: false,
      });
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await limiter.limit("client-a"));
      assert.deepEqual(results.map((r) => r.success), [true, true, true, false, false]);
      assert.deepEqual(results.map((r) => r.remaining), [2, 1, 0, 0, 0]);
      assert.ok(results[0].reset > Date.now());
      assert.equal((await limiter.limit("client-b")).success, true);
    });

    await t.step("@upstash/lock is exclusive while held and free after release", async () => {
      const retry = { attempts: 1, delay: 0 };
      const first = new Lock({ id: "lock:job", redis: lockRedis, lease: 5_000, retry });
      const second = new Lock({ id: "lock:job", redis: lockRedis, lease: 5_000, retry });
      assert.equal(await first.acquire(), true);
      assert.equal(await second.acquire(), false);
      assert.equal(await second.release(), false);
      assert.equal(await first.getStatus(), "ACQUIRED");
      assert.equal(await first.release(), true);
      assert.equal(await second.acquire(), true);
      assert.equal(await second.release(), true);
    });
  } finally {
    await bridge.stop();
    await server.stop();
  }
});
