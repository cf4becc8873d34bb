import assert from "node:assert/strict";
import { breakerValue, histogramSamples, render, sampleLine } from "./prometheus.ts";

Deno.test("families render HELP, TYPE and one line per sample with escaped labels", () => {
  const text = render([{
    name: "switchyard_events_total",
    help: "Events appended.",
    type: "counter",
    samples: [{ labels: { tenant: "acme", type: 'order."odd"\\' }, value: 3 }, { value: 1 }],
  }]);
  assert.equal(
    text,
    [
      "# HELP switchyard_events_total Events appended.",
      "# TYPE switchyard_events_total counter",
      'switchyard_events_total{tenant="acme",type="order.\\"odd\\"\\\\"} 3',
      "switchyard_events_total 1",
      "",
    ].join("\n"),
  );
  for (const line of text.trim().split("\n").filter((l) => !l.startsWith("#"))) {
    assert.match(line, sampleLine);
  }
});

Deno.test("histogram buckets are cumulative and end with +Inf, _sum and _count", () => {
  const s = histogramSamples({ tenant: "a" }, [0.1, 0.5], [2, 3, 1], 1.7);
  assert.deepEqual(s.map((x) => [x.suffix, x.labels?.le, x.value]), [
    ["_bucket", "0.1", 2],
    ["_bucket", "0.5", 5],
    ["_bucket", "+Inf", 6],
    ["_sum", undefined, 1.7],
    ["_count", undefined, 6],
  ]);
});

Deno.test("invalid metric names are refused and breaker states map to numbers", () => {
  assert.throws(() => render([{ name: "bad-name", help: "", type: "gauge", samples: [] }]));
  assert.deepEqual(["closed", "half-open", "open"].map(breakerValue), [0, 1, 2]);
});
