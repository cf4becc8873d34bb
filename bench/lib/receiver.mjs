// A plain Node http receiver, run in its own process as a target system would be: it answers
// 200 to every POST, counts them, and when recording notes each event's first arrival (epoch ms).
// GET /stats, GET /arrivals, POST /reset?record=1. Prints its port on stdout once listening.
import { createServer } from "node:http";

let count = 0;
let record = false;
let arrived = new Map();
const now = () => performance.timeOrigin + performance.now();

const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/stats") return res.end(JSON.stringify({ count }));
  if (req.method === "GET" && req.url === "/arrivals") {
    return res.end(JSON.stringify(Object.fromEntries(arrived)));
  }
  if (req.url?.startsWith("/reset")) {
    count = 0;
    arrived = new Map();
    record = req.url.includes("record=1");
    return res.end("ok");
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    count++;
    if (record) {
      const at = now();
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        // One envelope, or a batch of them, each with its event id.
        for (const e of Array.isArray(body) ? body : [body]) {
          if (e?.id && !arrived.has(e.id)) arrived.set(e.id, at);
        }
      } catch { /* not JSON: counted only */ }
    }
    res.end("ok");
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
