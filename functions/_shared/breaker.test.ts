import assert from "node:assert/strict";
import { BreakerOpenError, CircuitBreaker } from "./breaker.ts";

function fakeClock() {
  let t = 0;
  return { now: () => t, sleep: () => Promise.resolve(), advance: (ms: number) => void (t += ms) };
}
const fail = () => Promise.reject(new Error("boom"));
const ok = () => Promise.resolve("ok");

Deno.test("the breaker opens after consecutive failures and fails fast while open", async () => {
  const clock = fakeClock();
  const b = new CircuitBreaker("db", { failureThreshold: 3, openMs: 1_000, clock });
  for (let i = 0; i < 3; i++) await assert.rejects(b.run(fail), /boom/);
  assert.equal(b.state, "open");
  let called = false;
  await assert.rejects(b.run(() => (called = true, ok())), BreakerOpenError);
  assert.equal(called, false, "no call goes through while open");
  assert.equal(b.retryAfterMs(), 1_000);
});

Deno.test("after openMs one probe goes through: success closes, failure reopens", async () => {
  const clock = fakeClock();
  const b = new CircuitBreaker("db", { failureThreshold: 1, openMs: 1_000, clock });
  await assert.rejects(b.run(fail));
  clock.advance(1_000);
  assert.equal(b.state, "half-open");
  await assert.rejects(b.run(fail), /boom/);
  assert.equal(b.state, "open", "a failed probe reopens");
  clock.advance(1_000);
  assert.equal(await b.run(ok), "ok");
  assert.equal(b.state, "closed", "a good probe closes");
});

Deno.test("only one probe at a time while half-open, and non-failures do not count", async () => {
  const clock = fakeClock();
  const b = new CircuitBreaker("db", { failureThreshold: 2, openMs: 10, clock });
  await assert.rejects(b.run(() => Promise.reject(new Error("bad input")), () => false));
  await assert.rejects(b.run(() => Promise.reject(new Error("bad input")), () => false));
  assert.equal(b.state, "closed", "errors that are not outages leave it closed");
  await assert.rejects(b.run(fail));
  await assert.rejects(b.run(fail));
  clock.advance(10);
  let release!: () => void;
  const probe = b.run(() => new Promise<string>((r) => (release = () => r("ok"))));
  await assert.rejects(b.run(ok), BreakerOpenError, "a second call during the probe fails fast");
  release();
  assert.equal(await probe, "ok");
  assert.equal(b.state, "closed");
});

Deno.test("a failure check that has to ask first counts by its answer, and the call's error is thrown after it", async () => {
  const clock = fakeClock();
  const b = new CircuitBreaker("db", { failureThreshold: 2, openMs: 1_000, clock });
  const asked: string[] = [];
  const answer = (isOutage: boolean) => async () => {
    await clock.sleep();
    asked.push(String(isOutage));
    return isOutage;
  };
  for (let i = 0; i < 3; i++) await assert.rejects(b.run(fail, answer(false)), /boom/);
  assert.equal(b.state, "closed", "the server answered: a slow call alone does not open it");
  await assert.rejects(b.run(fail, answer(true)), /boom/);
  await assert.rejects(b.run(fail, answer(true)), /boom/);
  assert.equal(b.state, "open");
  assert.deepEqual(asked, ["false", "false", "false", "true", "true"]);
});

Deno.test("an outage opens the breaker at once; half-open, a trial that finds it still away reopens it without the call", async () => {
  const clock = fakeClock();
  const b = new CircuitBreaker("db", { failureThreshold: 3, openMs: 1_000, clock });
  await assert.rejects(b.run(fail, () => "outage"), /boom/);
  assert.equal(b.state, "open", "one outage is enough");
  clock.advance(1_000);
  let called = 0;
  const call = () => (called++, ok());
  let away = true;
  const trial = () => Promise.resolve(!away);
  await assert.rejects(b.run(call, () => true, undefined, trial), BreakerOpenError);
  assert.equal(called, 0, "the call was not made while the trial found the dependency away");
  assert.equal(b.state, "open", "and the breaker reopened");
  assert.equal(b.retryAfterMs(), 1_000);
  clock.advance(1_000);
  away = false;
  assert.equal(await b.run(call, () => true, undefined, trial), "ok");
  assert.equal(called, 1);
  assert.equal(b.state, "closed");
  // Closed, the trial is not asked.
  assert.equal(
    await b.run(call, () => true, undefined, () => Promise.reject(new Error("no"))),
    "ok",
  );
});
