import assert from "node:assert/strict";
import { guardUrl, parseBrokerTarget } from "./broker-target.ts";

Deno.test("an amqp URL gives host, port, vhost, exchange and a routing key that defaults to the event type", () => {
  const p = parseBrokerTarget("amqp", "amqp://Rabbit.Example:5673/shop?exchange=orders");
  assert.deepEqual(p, {
    ok: true,
    target: {
      kind: "amqp",
      host: "rabbit.example",
      port: 5673,
      tls: false,
      vhost: "shop",
      exchange: "orders",
      routingKey: "{{type}}",
    },
  });
  const def = parseBrokerTarget("amqp", "amqps://rabbit/?routingKey=q.{{entity.id}}");
  assert.ok(def.ok);
  assert.equal(def.target.kind === "amqp" && def.target.vhost, "/");
  assert.equal(def.target.port, 5671);
  assert.equal(def.target.tls, true);
});

Deno.test("a nats URL takes a subject, an optional stream, and core NATS only with atMostOnce", () => {
  const p = parseBrokerTarget("nats", "nats://n1?subject=shop.{{type}}&stream=ORDERS");
  assert.ok(p.ok && p.target.kind === "nats");
  assert.equal(p.target.port, 4222);
  assert.equal(p.target.stream, "ORDERS");
  assert.equal(p.target.atMostOnce, false);
  const core = parseBrokerTarget("nats", "nats://n1?subject=a.b&atMostOnce=true");
  assert.ok(core.ok && core.target.kind === "nats" && core.target.atMostOnce);
  const bad = parseBrokerTarget("nats", "nats://n1/x?subject=a.*&stream=A&atMostOnce=yes");
  assert.equal(bad.ok, false);
  assert.deepEqual(!bad.ok && bad.problems, [
    "takes no path; use ?subject=",
    "subject must not contain wildcards",
    "atMostOnce must be true or false",
  ]);
});

Deno.test("an mqtt URL needs a topic without wildcards and a QoS of 0, 1 or 2 (1 by default)", () => {
  const p = parseBrokerTarget("mqtt", "mqtt://m?topic=shop/{{entity.id}}");
  assert.ok(p.ok && p.target.kind === "mqtt");
  assert.equal(p.target.qos, 1);
  assert.equal(p.target.port, 1883);
  const bad = parseBrokerTarget("mqtt", "mqtt://u:p@m?topic=shop/%23&qos=3&x=1");
  assert.equal(bad.ok, false);
  assert.deepEqual(!bad.ok && bad.problems, [
    "must not carry user:password; use credentials",
    'unknown parameter "x" (a mqtt URL takes topic, qos, retain)',
    "topic must not contain +, # or NUL",
    "qos must be 0, 1 or 2",
  ]);
  const scheme = parseBrokerTarget("mqtt", "http://m?topic=a");
  assert.deepEqual(scheme, {
    ok: false,
    problems: ["must start with mqtt:// or mqtts:// for a mqtt endpoint"],
  });
});

Deno.test("the SSRF guard sees the broker's host normalized as an http URL would have it", () => {
  const odd = parseBrokerTarget("nats", "nats://0x7f.1:4222");
  assert.ok(odd.ok);
  assert.equal(guardUrl(odd.target), "http://127.0.0.1:4222/");
  const v6 = parseBrokerTarget("mqtt", "mqtt://[::1]?topic=a");
  assert.ok(v6.ok);
  assert.equal(v6.target.host, "::1");
  assert.equal(guardUrl(v6.target), "http://[::1]:1883/");
});
