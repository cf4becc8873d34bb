/**
 * A small RESP2 client for the local bridge: a pool of TCP connections, each pipelining whole
 * batches of commands in one write. Bulk strings come back as bytes, so it is binary-safe.
 */

export type Arg = string | Uint8Array;
/** Simple strings are `string`, bulk strings `Uint8Array`, errors `RespError`. */
export type Reply = string | Uint8Array | number | null | RespError | Reply[];

export class RespError {
  constructor(readonly message: string) {}
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const INCOMPLETE = Symbol("incomplete");
const CR = 13;

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Encodes many commands into one buffer, so a batch costs one write. */
function encodeCommands(commands: Arg[][]): Uint8Array {
  let size = 0;
  for (const cmd of commands) {
    size += 16;
    for (const a of cmd) size += 16 + (typeof a === "string" ? a.length * 3 : a.length);
  }
  const out = new Uint8Array(size);
  let pos = 0;
  const ascii = (s: string) => {
    for (let i = 0; i < s.length; i++) out[pos++] = s.charCodeAt(i);
  };
  for (const cmd of commands) {
    ascii(`*${cmd.length}\r\n`);
    for (const a of cmd) {
      if (typeof a === "string") {
        ascii(`$${utf8Length(a)}\r\n`);
        pos += encoder.encodeInto(a, out.subarray(pos)).written;
      } else {
        ascii(`$${a.length}\r\n`);
        out.set(a, pos);
        pos += a.length;
      }
      out[pos++] = CR;
      out[pos++] = 10;
    }
  }
  return out.subarray(0, pos);
}

/** Incremental reply parser over a growing byte buffer. */
class ReplyReader {
  buf = new Uint8Array(64 * 1024);
  len = 0;
  pos = 0;

  push(chunk: Uint8Array) {
    if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.len);
      this.len -= this.pos;
      this.pos = 0;
    }
    if (this.len + chunk.length > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + chunk.length));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
  }

  /** The next whole reply, or INCOMPLETE (leaving the position unchanged). */
  next(): Reply | typeof INCOMPLETE {
    const start = this.pos;
    const r = this.#parse();
    if (r === INCOMPLETE) this.pos = start;
    return r;
  }

  #line(): number {
    const { buf, len } = this;
    for (let i = this.pos; i < len - 1; i++) if (buf[i] === CR && buf[i + 1] === 10) return i;
    return -1;
  }

  #int(from: number, to: number): number {
    const { buf } = this;
    let neg = false;
    let n = 0;
    if (buf[from] === 45) {
      neg = true;
      from++;
    }
    for (let i = from; i < to; i++) n = n * 10 + (buf[i] - 48);
    return neg ? -n : n;
  }

  #parse(): Reply | typeof INCOMPLETE {
    if (this.pos >= this.len) return INCOMPLETE;
    const type = this.buf[this.pos];
    const end = this.#line();
    if (end < 0) return INCOMPLETE;
    const head = this.pos + 1;
    switch (type) {
      case 43: // +
        this.pos = end + 2;
        return decoder.decode(this.buf.subarray(head, end));
      case 45: // -
        this.pos = end + 2;
        return new RespError(decoder.decode(this.buf.subarray(head, end)));
      case 58: // :
        this.pos = end + 2;
        return this.#int(head, end);
      case 36: { // $
        const n = this.#int(head, end);
        if (n < 0) {
          this.pos = end + 2;
          return null;
        }
        const from = end + 2;
        if (from + n + 2 > this.len) return INCOMPLETE;
        this.pos = from + n + 2;
        return this.buf.slice(from, from + n);
      }
      case 42: { // *
        const n = this.#int(head, end);
        this.pos = end + 2;
        if (n < 0) return null;
        const arr: Reply[] = new Array(n);
        for (let i = 0; i < n; i++) {
          const r = this.#parse();
          if (r === INCOMPLETE) return INCOMPLETE;
          arr[i] = r;
        }
        return arr;
      }
      default:
        throw new Error(`unexpected RESP type byte ${type}`);
    }
  }
}

interface Batch {
  replies: Reply[];
  count: number;
  resolve(r: Reply[]): void;
  reject(e: Error): void;
}

/** One Redis connection; batches are answered in the order they were sent. */
export class RespConnection {
  #conn: Deno.TcpConn;
  #batches: Batch[] = [];
  #head = 0;
  #outbox: Uint8Array[] = [];
  #writing = false;
  closed = false;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    void this.#readLoop();
  }

  static async connect(hostname: string, port: number): Promise<RespConnection> {
    const conn = await Deno.connect({ hostname, port });
    conn.setNoDelay(true);
    return new RespConnection(conn);
  }

  get pending(): number {
    return this.#batches.length - this.#head;
  }

  send(commands: Arg[][]): Promise<Reply[]> {
    if (this.closed) return Promise.reject(new Error("redis connection closed"));
    if (commands.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.#batches.push({ replies: [], count: commands.length, resolve, reject });
      this.#outbox.push(encodeCommands(commands));
      if (!this.#writing) void this.#flush();
    });
  }

  close() {
    this.#fail(new Error("redis connection closed"));
  }

  async #flush() {
    this.#writing = true;
    try {
      while (this.#outbox.length > 0) {
        const parts = this.#outbox;
        this.#outbox = [];
        let data = parts[0];
        if (parts.length > 1) {
          data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
          let at = 0;
          for (const p of parts) {
            data.set(p, at);
            at += p.length;
          }
        }
        for (let off = 0; off < data.length;) off += await this.#conn.write(data.subarray(off));
      }
    } catch (e) {
      this.#fail(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.#writing = false;
    }
  }

  async #readLoop() {
    const reader = new ReplyReader();
    const chunk = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await this.#conn.read(chunk);
        if (n === null) throw new Error("redis closed the connection");
        reader.push(chunk.subarray(0, n));
        for (;;) {
          const reply = reader.next();
          if (reply === INCOMPLETE) break;
          this.#deliver(reply);
        }
      }
    } catch (e) {
      this.#fail(e instanceof Error ? e : new Error(String(e)));
    }
  }

  #deliver(reply: Reply) {
    const batch = this.#batches[this.#head];
    if (!batch) throw new Error("redis sent a reply nobody asked for");
    batch.replies.push(reply);
    if (batch.replies.length < batch.count) return;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#batches.length) {
      this.#batches = this.#batches.slice(this.#head);
      this.#head = 0;
    }
    batch.resolve(batch.replies);
  }

  #fail(error: Error) {
    if (this.closed) return;
    this.closed = true;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    const waiting = this.#batches.slice(this.#head);
    this.#batches = [];
    this.#head = 0;
    for (const b of waiting) b.reject(error);
  }
}

export interface PoolOptions {
  port: number;
  hostname?: string;
  /** Shared connections that pipelined batches are spread over. */
  size?: number;
  /** Idle dedicated connections kept for reuse. */
  maxIdleDedicated?: number;
}

/** Shared connections for ordinary batches, dedicated ones for transactions. */
export class RespPool {
  #hostname: string;
  #port: number;
  #shared: (Promise<RespConnection> | undefined)[];
  #next = 0;
  #idle: RespConnection[] = [];
  #maxIdle: number;
  #closed = false;

  constructor(opts: PoolOptions) {
    this.#hostname = opts.hostname ?? "127.0.0.1";
    this.#port = opts.port;
    this.#shared = new Array(opts.size ?? 4).fill(undefined);
    this.#maxIdle = opts.maxIdleDedicated ?? 16;
  }

  #connect(): Promise<RespConnection> {
    if (this.#closed) return Promise.reject(new Error("pool closed"));
    return RespConnection.connect(this.#hostname, this.#port);
  }

  async #sharedConnection(): Promise<RespConnection> {
    const slot = this.#next;
    this.#next = (this.#next + 1) % this.#shared.length;
    let conn = this.#shared[slot];
    if (conn) {
      const c = await conn.catch(() => undefined);
      if (c && !c.closed) return c;
    }
    conn = this.#connect();
    this.#shared[slot] = conn;
    conn.catch(() => this.#shared[slot] === conn && (this.#shared[slot] = undefined));
    return await conn;
  }

  /** Sends the commands in order on one shared connection, in one write. */
  async send(commands: Arg[][]): Promise<Reply[]> {
    return (await this.#sharedConnection()).send(commands);
  }

  /** Runs fn with a connection nobody else writes to until fn settles. */
  async dedicated<T>(fn: (conn: RespConnection) => Promise<T>): Promise<T> {
    let conn = this.#idle.pop();
    while (conn?.closed) conn = this.#idle.pop();
    conn ??= await this.#connect();
    try {
      return await fn(conn);
    } finally {
      if (!conn.closed && !this.#closed && this.#idle.length < this.#maxIdle) this.#idle.push(conn);
      else conn.close();
    }
  }

  async close() {
    this.#closed = true;
    const shared = await Promise.allSettled(this.#shared.filter((c) => c !== undefined));
    for (const r of shared) if (r.status === "fulfilled") r.value.close();
    for (const c of this.#idle) c.close();
    this.#idle = [];
  }
}
