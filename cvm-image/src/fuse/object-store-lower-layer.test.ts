/**
 * The object-store lower layer against a real local HTTP server (runs in Node; the FUSE case as root
 * with /dev/fuse): ranged reads answered correctly pass, and every other answer (200 instead of 206, a
 * wrong Content-Range, a short or long body, 403 for an expired URL, no answer in time) is a typed
 * error, retried only when it may heal and then a bounded number of times, never naming the URL. Over
 * it the decrypting FUSE serves the plaintext with several ranged GETs in flight, and a tampered chunk
 * is EIO.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cce4longError } from "@cce4long/protocol";
import { encryptBuffer } from "@cce4long/sealing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { mountDecrypting } from "./decrypting-fs";
import { objectStoreLowerLayer } from "./object-store-lower-layer";
import { OBJECT_STORE_READ_AHEAD } from "./read-ahead";

/** How the server answers the next requests for an object (then it serves ranges correctly). */
type Misbehaviour =
  | "full-200"
  | "wrong-range"
  | "short-body"
  | "long-body"
  | "forbidden"
  | "hang"
  | "unavailable"
  | "cut-connection";

const objects = new Map<string, Buffer>();
const misbehave = new Map<string, { mode: Misbehaviour; times: number }>();
const requests: { path: string; range: string | undefined }[] = [];
let server: Server;
let base: string;
/** A query secret like a presigned URL's signature: it must never appear in an error. */
const SECRET = "X-Amz-Signature=0123456789abcdef";

function answer(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? "/", "http://x").pathname.slice(1);
  requests.push({ path, range: req.headers.range });
  const body = objects.get(path);
  if (!body) return void res.writeHead(404).end();
  const match = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
  const start = Number(match?.[1] ?? 0);
  const end = Math.min(Number(match?.[2] ?? body.length - 1), body.length - 1);
  const slice = body.subarray(start, end + 1);
  const range = `bytes ${start}-${end}/${body.length}`;
  const rule = misbehave.get(path);
  if (rule && rule.times > 0) {
    rule.times--;
    switch (rule.mode) {
      case "full-200":
        return void res.writeHead(200, { "content-length": body.length }).end(body);
      case "wrong-range":
        return void res
          .writeHead(206, { "content-range": `bytes ${start + 1}-${end + 1}/${body.length}` })
          .end(body.subarray(start + 1, end + 2));
      case "short-body":
        return void res.writeHead(206, { "content-range": range }).end(slice.subarray(0, slice.length - 1));
      case "long-body":
        return void res
          .writeHead(206, { "content-range": range })
          .end(Buffer.concat([slice, Buffer.from("x")]));
      case "forbidden":
        return void res.writeHead(403).end("<Error><Code>AccessDenied</Code></Error>");
      case "hang":
        return; // never answered: the client's timeout must end it
      case "unavailable":
        return void res.writeHead(503).end();
      case "cut-connection":
        res.writeHead(206, { "content-range": range, "content-length": slice.length });
        res.write(slice.subarray(0, 10));
        return void res.destroy();
    }
  }
  res.writeHead(206, { "content-range": range, "content-length": slice.length }).end(slice);
}

beforeAll(async () => {
  server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  misbehave.clear();
  requests.length = 0;
});

const url = (path: string) => `${base}/${path}?${SECRET}`;
const layer = (paths: string[], overrides: { attempts?: number; requestTimeoutMs?: number } = {}) =>
  objectStoreLowerLayer({
    objects: paths.map((path) => ({ path: `data/${path}`, url: url(path) })),
    retryDelayMs: 10,
    requestTimeoutMs: 2_000,
    ...overrides,
  });

async function failure(work: Promise<unknown>): Promise<Cce4longError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Cce4longError);
  const typed = error as Cce4longError;
  // Neither the URL nor its signature may leak into what is logged.
  expect(JSON.stringify({ message: typed.message, detail: typed.detail })).not.toContain(SECRET);
  expect(typed.message).not.toContain(base);
  return typed;
}

describe("object-store lower layer: ranged reads", () => {
  it("opens with one ranged GET (size from Content-Range) and reads exact ranges", async () => {
    const body = randomBytes(100_000);
    objects.set("a.bin", body);
    const file = await layer(["a.bin"]).open("data/a.bin");
    expect(file.size).toBe(body.length);
    expect(requests).toEqual([{ path: "a.bin", range: "bytes=0-4095" }]);
    // Inside the probe: no request.
    const head = await file.read(Buffer.alloc(100), 100, 0);
    expect(head.equals(body.subarray(0, 100))).toBe(true);
    expect(requests).toHaveLength(1);
    const middle = await file.read(Buffer.alloc(30_000), 30_000, 50_000);
    expect(middle.equals(body.subarray(50_000, 80_000))).toBe(true);
    expect(requests[1]).toEqual({ path: "a.bin", range: "bytes=50000-79999" });
    // Past the end: clipped to the object, never asked beyond it.
    const tail = await file.read(Buffer.alloc(1000), 1000, body.length - 10);
    expect(tail.equals(body.subarray(body.length - 10))).toBe(true);
    expect(requests[2]!.range).toBe(`bytes=${body.length - 10}-${body.length - 1}`);
    expect((await file.read(Buffer.alloc(10), 10, body.length)).length).toBe(0);
  });

  it("opens an object smaller than the probe (the store ends the range at its last byte)", async () => {
    objects.set("small.bin", randomBytes(300));
    const file = await layer(["small.bin"]).open("data/small.bin");
    expect(file.size).toBe(300);
    expect((await file.read(Buffer.alloc(300), 300, 0)).equals(objects.get("small.bin")!)).toBe(true);
  });

  it("error: a path the grant has no URL for", async () => {
    const error = await failure(layer([]).open("data/none.bin"));
    expect(error).toMatchObject({ code: "LOWER_LAYER_UNAVAILABLE", detail: { reason: "not-in-grant" } });
  });

  for (const [mode, code, reason] of [
    ["full-200", "LOWER_LAYER_RESPONSE_INVALID", "not-partial"],
    ["wrong-range", "LOWER_LAYER_RESPONSE_INVALID", "content-range"],
    ["short-body", "LOWER_LAYER_RESPONSE_INVALID", "short-body"],
    ["long-body", "LOWER_LAYER_RESPONSE_INVALID", "long-body"],
    ["forbidden", "LOWER_LAYER_UNAVAILABLE", "refused"],
  ] as const) {
    it(`error: ${mode} is refused at once (${code}, ${reason}), not retried`, async () => {
      objects.set("b.bin", randomBytes(50_000));
      const file = await layer(["b.bin"]).open("data/b.bin");
      requests.length = 0;
      misbehave.set("b.bin", { mode, times: 99 });
      const error = await failure(file.read(Buffer.alloc(10_000), 10_000, 20_000));
      expect(error).toMatchObject({ code, detail: { path: "data/b.bin", reason } });
      expect(requests).toHaveLength(1);
    });
  }

  it("error: an expired URL (403) at open", async () => {
    objects.set("c.bin", randomBytes(10_000));
    misbehave.set("c.bin", { mode: "forbidden", times: 1 });
    const error = await failure(layer(["c.bin"]).open("data/c.bin"));
    expect(error).toMatchObject({
      code: "LOWER_LAYER_UNAVAILABLE",
      detail: { reason: "refused", status: 403 },
    });
  });

  it("retries a transient failure (503, cut connection) and then serves the read", async () => {
    const body = randomBytes(50_000);
    objects.set("d.bin", body);
    const file = await layer(["d.bin"]).open("data/d.bin");
    for (const mode of ["unavailable", "cut-connection"] as const) {
      requests.length = 0;
      misbehave.set("d.bin", { mode, times: 2 });
      const read = await file.read(Buffer.alloc(20_000), 20_000, 10_000);
      expect(read.equals(body.subarray(10_000, 30_000))).toBe(true);
      expect(requests).toHaveLength(3);
    }
  });

  it("error: retries are bounded (server errors, dropped connections, timeouts)", async () => {
    objects.set("e.bin", randomBytes(50_000));
    const file = await layer(["e.bin"], { attempts: 3, requestTimeoutMs: 300 }).open("data/e.bin");
    for (const [mode, reason] of [
      ["unavailable", "server-error"],
      ["cut-connection", "network"],
      ["hang", "timeout"],
    ] as const) {
      requests.length = 0;
      misbehave.set("e.bin", { mode, times: 99 });
      const started = performance.now();
      const error = await failure(file.read(Buffer.alloc(10_000), 10_000, 20_000));
      expect(error).toMatchObject({ code: "LOWER_LAYER_UNAVAILABLE", detail: { reason } });
      expect(requests).toHaveLength(3);
      if (mode === "hang") expect(performance.now() - started).toBeGreaterThanOrEqual(3 * 300 - 50);
    }
    server.closeAllConnections();
  });
});

/**
 * Reads until a read returns 0 bytes, as Python and cat do. (Node's readFile stops at the first short
 * read: with direct_io a read split into several FUSE requests returns the bytes before a failed
 * request, so readFile would see a truncated file where these readers see EIO.)
 */
async function readUntilEnd(path: string): Promise<Buffer> {
  const handle = await open(path, "r");
  const parts: Buffer[] = [];
  try {
    for (;;) {
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(1 << 20), 0, 1 << 20, null);
      if (bytesRead === 0) return Buffer.concat(parts);
      parts.push(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}

describe("decrypting FUSE over the object-store lower layer", () => {
  const key = randomBytes(32);
  const datasetId = "ds-object-store-test";
  const plain = randomBytes(6 * 1024 * 1024 + 1234);
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "cce4long-fuse-http-"));
    objects.set("big.c4le", Buffer.from(encryptBuffer(plain, { key, datasetId, chunkSize: 65_536 })));
    const tampered = Buffer.from(encryptBuffer(randomBytes(300_000), { key, datasetId, chunkSize: 65_536 }));
    tampered[tampered.length - 70_000]! ^= 0x01;
    objects.set("tampered.c4le", tampered);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("serves the plaintext byte for byte in multi-chunk ranged GETs, and a tampered chunk as EIO", async () => {
    const integrityErrors: string[] = [];
    const mount = await mountDecrypting({
      mountpoint: join(root, "data"),
      files: [
        { path: "big.bin", lowerPath: "data/big.c4le" },
        { path: "tampered.bin", lowerPath: "data/tampered.c4le" },
      ],
      lower: layer(["big.c4le", "tampered.c4le"]),
      readAhead: OBJECT_STORE_READ_AHEAD,
      keyFor: () => key,
      onIntegrityError: (path) => integrityErrors.push(path),
    });
    try {
      requests.length = 0;
      const read = await readFile(join(mount.mountpoint, "big.bin"));
      expect(Buffer.compare(read, plain)).toBe(0);
      const sizes = requests
        .filter((r) => r.path === "big.c4le" && r.range !== "bytes=0-4095")
        .map((r) => {
          const [from, to] = r.range!.slice(6).split("-").map(Number);
          return to! - from! + 1;
        });
      // Read-ahead goes out in multi-MiB requests (32+ chunks with their tags), not one per kernel read.
      expect(Math.max(...sizes)).toBeGreaterThanOrEqual(32 * 65_536);
      expect(sizes.length).toBeLessThan(20);
      await expect(readUntilEnd(join(mount.mountpoint, "tampered.bin"))).rejects.toMatchObject({
        code: "EIO",
      });
      expect(integrityErrors).toContain("tampered.bin");
    } finally {
      await mount.unmount();
    }
  });
});
