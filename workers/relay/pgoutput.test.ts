import assert from "node:assert/strict";
import { decodeCopyData, formatLsn, parseLsn, type Relation, standbyStatus } from "./pgoutput.ts";

class Bytes {
  parts: number[] = [];
  u8(v: number) {
    this.parts.push(v);
    return this;
  }
  u16(v: number) {
    return this.u8(v >> 8).u8(v & 0xff);
  }
  u32(v: number) {
    return this.u16(v >>> 16).u16(v & 0xffff);
  }
  u64(v: bigint) {
    return this.u32(Number(v >> 32n)).u32(Number(v & 0xffffffffn));
  }
  str(s: string) {
    for (const b of new TextEncoder().encode(s)) this.u8(b);
    return this.u8(0);
  }
  text(s: string) {
    const b = new TextEncoder().encode(s);
    this.u8(0x74).u32(b.length);
    for (const x of b) this.u8(x);
    return this;
  }
  get bytes() {
    return new Uint8Array(this.parts);
  }
}
const xlog = (msg: Bytes) =>
  new Uint8Array([...new Bytes().u8(0x77).u64(1n).u64(2n).u64(3n).bytes, ...msg.bytes]);

Deno.test("LSNs print and parse as Postgres writes them", () => {
  assert.equal(formatLsn(parseLsn("16/B374D848")), "16/B374D848");
  assert.equal(parseLsn("0/10"), 16n);
  assert.equal(parseLsn("1/0"), 1n << 32n);
  assert.throws(() => parseLsn("nope"));
});

Deno.test("a transaction decodes to begin, inserts by column name, and commit with its end LSN", () => {
  const relations = new Map<number, Relation>();
  const relation = new Bytes().u8(0x52).u32(16384).str("switchyard").str("events").u8(0x64).u16(3)
    .u8(1).str("seq").u32(20).u32(0xffffffff)
    .u8(0).str("id").u32(25).u32(0xffffffff)
    .u8(0).str("dedup_key").u32(25).u32(0xffffffff);
  assert.deepEqual(decodeCopyData(xlog(relation), relations), { kind: "other" });
  assert.deepEqual(relations.get(16384), {
    schema: "switchyard",
    table: "events",
    columns: ["seq", "id", "dedup_key"],
  });

  assert.deepEqual(
    decodeCopyData(xlog(new Bytes().u8(0x42).u64(0x1_0000_0020n).u64(0n).u32(7)), relations),
    { kind: "begin", finalLsn: 0x1_0000_0020n },
  );
  const insert = new Bytes().u8(0x49).u32(16384).u8(0x4e).u16(3).text("42").text("evt_ü").u8(0x6e);
  const decoded = decodeCopyData(xlog(insert), relations);
  assert.equal(decoded.kind, "insert");
  assert.deepEqual(decoded.kind === "insert" && decoded.row, {
    seq: "42",
    id: "evt_ü",
    dedup_key: null,
  });
  const commit = new Bytes().u8(0x43).u8(0).u64(0x20n).u64(0x58n).u64(0n);
  assert.deepEqual(decodeCopyData(xlog(commit), relations), {
    kind: "commit",
    commitLsn: 0x20n,
    endLsn: 0x58n,
  });
});

Deno.test("an insert before its relation is an error; unknown messages are ignored", () => {
  assert.throws(() => decodeCopyData(xlog(new Bytes().u8(0x49).u32(1).u8(0x4e).u16(0)), new Map()));
  assert.deepEqual(decodeCopyData(xlog(new Bytes().u8(0x59).u32(1)), new Map()), { kind: "other" });
});

Deno.test("keepalives carry the server's WAL end and whether a reply is due", () => {
  const k = new Bytes().u8(0x6b).u64(0xabcn).u64(0n).u8(1).bytes;
  assert.deepEqual(decodeCopyData(k, new Map()), {
    kind: "keepalive",
    walEnd: 0xabcn,
    replyRequested: true,
  });
});

Deno.test("a standby status update reports the same LSN written, flushed and applied", () => {
  const buf = standbyStatus(0x1_0000_0058n, Date.UTC(2000, 0, 1) + 2);
  const view = new DataView(buf.buffer);
  assert.equal(buf.length, 34);
  assert.equal(buf[0], 0x72);
  for (const at of [1, 9, 17]) assert.equal(view.getBigUint64(at), 0x1_0000_0058n);
  assert.equal(view.getBigInt64(25), 2000n);
  assert.equal(buf[33], 0);
});

Deno.test("text columns decode as UTF-8 whatever their length: ASCII, accented, emoji, long JSON", () => {
  const values = [
    "",
    "o-1",
    "évènement",
    "🚚 on its way",
    `{"note": "${"ü".repeat(40)}"}`,
    "x".repeat(49),
  ];
  const relations = new Map<number, Relation>();
  let relation = new Bytes().u8(0x52).u32(7).str("public").str("t").u8(0x64).u16(values.length);
  values.forEach((_, i) => (relation = relation.u8(0).str(`c${i}`).u32(25).u32(0xffffffff)));
  decodeCopyData(xlog(relation), relations);
  let insert = new Bytes().u8(0x49).u32(7).u8(0x4e).u16(values.length);
  for (const v of values) insert = insert.text(v);
  const decoded = decodeCopyData(xlog(insert), relations);
  assert.deepEqual(
    decoded.kind === "insert" && Object.values(decoded.row),
    values,
  );
});
