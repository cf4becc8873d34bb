import assert from "node:assert/strict";
import { FloodPlanner } from "./flood.ts";

Deno.test("messages to one chat are spaced a second apart, queued not dropped", () => {
  const planner = new FloodPlanner();
  const slots = Array.from({ length: 5 }, () => planner.reserve("42", 1_000));
  assert.deepEqual(slots, [1_000, 2_000, 3_000, 4_000, 5_000]);
});

Deno.test("a chat that was quiet for a while sends at once", () => {
  const planner = new FloodPlanner();
  assert.equal(planner.reserve("42", 0), 0);
  assert.equal(planner.reserve("42", 10_000), 10_000);
  assert.equal(planner.chatsTracked, 1);
});

Deno.test("different chats do not wait for each other, but the bot stays under 30 per second", () => {
  const planner = new FloodPlanner();
  const slots = Array.from({ length: 90 }, (_, i) => planner.reserve(`chat-${i}`, 0));
  for (let i = 0; i < slots.length; i++) {
    const inWindow = slots.filter((t) => t >= slots[i] && t < slots[i] + 1_000).length;
    assert.ok(inWindow <= 30, `window at ${slots[i]} holds ${inWindow}`);
  }
  assert.equal(slots[0], 0);
  assert.ok(slots[89] < 3_100, `90 messages to 90 chats take about 3 s, last at ${slots[89]}`);
});

Deno.test("a bot-wide slot taken later still leaves earlier gaps usable", () => {
  const planner = new FloodPlanner({ perBotPerSecond: 10 });
  assert.equal(planner.reserve("a", 0), 0);
  assert.equal(planner.reserve("a", 0), 1_000);
  assert.equal(planner.reserve("b", 0), 100);
  assert.equal(planner.reserve("c", 950), 1_100);
});

Deno.test("a 429 hold pushes the chat's next slot", () => {
  const planner = new FloodPlanner();
  planner.reserve("42", 0);
  planner.holdChat("42", 5_000);
  assert.equal(planner.reserve("42", 100), 5_000);
  assert.equal(planner.reserve("7", 100), 100);
});

Deno.test("earliest tells the wait without taking the slot", () => {
  const planner = new FloodPlanner();
  planner.reserve("42", 0);
  assert.equal(planner.earliest("42", 0), 1_000);
  assert.equal(planner.earliest("42", 0), 1_000);
  assert.equal(planner.reserve("42", 0), 1_000);
});
