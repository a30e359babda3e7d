/**
 * The lower layer read straight from object storage (boot agent; runs in the Confidential VM, and
 * locally against the local object store): each ciphertext object of the job's dataset version has a
 * short-lived presigned GET URL (handed over by the Privacy Plane with the released key), and every
 * read is one HTTP GET with `Range:`. A read must come back as 206 with exactly the Content-Range asked
 * for and exactly that many bytes; anything else is refused (typed error, EIO to the reader), never
 * patched up. Transient failures (network, timeout, 5xx, 429) are retried a bounded number of times,
 * each attempt with its own timeout. Nothing is written to disk; the URLs are secrets and appear in no
 * error or log (errors name the manifest path only).
 */
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { Cce4longError } from "@cce4long/protocol";
import type { LowerFile, LowerLayer } from "./lower-layer";

/** Connections per lower layer: the read-ahead keeps a few requests in flight per open file. */
const MAX_SOCKETS = 16;

/** One data object of the version: its path in the mount and where to read it. */
export interface LowerObject {
  path: string;
  /** Presigned GET URL (secret: never logged). */
  url: string;
}

export interface ObjectStoreLowerLayerOptions {
  objects: readonly LowerObject[];
  /** Each HTTP attempt's deadline, body included. */
  requestTimeoutMs?: number;
  /** Attempts per read (first try included) on transient failures. */
  attempts?: number;
  /** Wait before the first retry; doubled for each further one. */
  retryDelayMs?: number;
  /** Bytes read at open (the header, and the size from Content-Range). */
  probeBytes?: number;
  /** Resolves the URLs' hosts (in the VM: pinned to the addresses the firewall let out, agent/egress.ts). */
  lookup?: LookupFunction;
}

export const OBJECT_STORE_READ_DEFAULTS = {
  requestTimeoutMs: 30_000,
  attempts: 3,
  retryDelayMs: 200,
  probeBytes: 4096,
} as const;

type Reason =
  | "timeout"
  | "network"
  | "server-error"
  | "refused"
  | "not-partial"
  | "content-range"
  | "short-body"
  | "long-body"
  | "not-in-grant";

function unavailable(path: string, reason: Reason, status?: number): Cce4longError {
  return new Cce4longError("LOWER_LAYER_UNAVAILABLE", `${path}: the object store did not serve the read`, {
    detail: { path, reason, ...(status === undefined ? {} : { status }) },
  });
}

function invalid(path: string, reason: Reason, status?: number): Cce4longError {
  return new Cce4longError("LOWER_LAYER_RESPONSE_INVALID", `${path}: the object store's answer was refused`, {
    detail: { path, reason, ...(status === undefined ? {} : { status }) },
  });
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+)$/;

interface Range {
  start: number;
  end: number;
  total: number;
}

export function objectStoreLowerLayer(options: ObjectStoreLowerLayerOptions): LowerLayer {
  const settings = { ...OBJECT_STORE_READ_DEFAULTS, ...stripUndefined(options) };
  const urls = new Map(options.objects.map((object) => [object.path, object.url]));
  // Kept-alive connections, a few per read-ahead's requests in flight (per lower layer: one job).
  const pinned = options.lookup === undefined ? {} : { lookup: options.lookup };
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS, ...pinned });
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS, ...pinned });

  /**
   * One ranged GET of [start, start + length) into target. `exactEnd` false (the probe): the answer
   * may end earlier, at the object's last byte. node:http rather than fetch: the body arrives as
   * Buffers copied straight into `target`, at a fraction of the CPU of a web stream per byte.
   */
  function attempt(
    path: string,
    url: URL,
    start: number,
    length: number,
    target: Buffer,
    exactEnd: boolean,
  ): Promise<{ filled: number; range: Range }> {
    return new Promise((resolve, reject) => {
      let settled = false;
      let timedOut = false;
      const request = (url.protocol === "https:" ? httpsRequest : httpRequest)(url, {
        agent: url.protocol === "https:" ? httpsAgent : httpAgent,
        headers: { range: `bytes=${start}-${start + length - 1}` },
      });
      const timer = setTimeout(() => {
        timedOut = true;
        request.destroy();
      }, settings.requestTimeoutMs);
      const settle = (error: Cce4longError | undefined, value?: { filled: number; range: Range }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(value!);
      };
      const broken = () => settle(timedOut ? unavailable(path, "timeout") : unavailable(path, "network"));
      request.on("error", broken);
      request.on("response", (response) => {
        const status = response.statusCode ?? 0;
        // A refused or malformed answer is not read further; the connection is dropped with it.
        const refuse = (error: Cce4longError) => {
          settle(error);
          request.destroy();
        };
        if (status !== 206) {
          if (status >= 500 || status === 429) return refuse(unavailable(path, "server-error", status));
          if (status >= 400) return refuse(unavailable(path, "refused", status));
          return refuse(invalid(path, "not-partial", status));
        }
        const range = parseRange(response.headers["content-range"] ?? null);
        const askedEnd = start + length - 1;
        const endOk = exactEnd ? range?.end === askedEnd : range !== undefined && range.end <= askedEnd;
        if (!range || range.start !== start || !endOk || range.end >= range.total) {
          return refuse(invalid(path, "content-range"));
        }
        const expected = range.end - range.start + 1;
        let filled = 0;
        response.on("data", (chunk: Buffer) => {
          if (settled) return;
          if (filled + chunk.length > expected) return refuse(invalid(path, "long-body"));
          chunk.copy(target, filled);
          filled += chunk.length;
        });
        response.on("end", () =>
          filled === expected ? settle(undefined, { filled, range }) : settle(invalid(path, "short-body")),
        );
        response.on("error", broken);
        response.on("aborted", broken);
      });
      request.end();
    });
  }

  /** Retries only what may heal by itself (network, timeout, 5xx/429); refusals and bad answers fail at once. */
  async function ranged(
    path: string,
    url: URL,
    start: number,
    length: number,
    target: Buffer,
    exactEnd: boolean,
  ): Promise<{ filled: number; range: Range }> {
    let delay = settings.retryDelayMs;
    for (let tries = 1; ; tries++) {
      try {
        return await attempt(path, url, start, length, target, exactEnd);
      } catch (error) {
        const reason = (error as Cce4longError).detail?.reason;
        const transient = reason === "timeout" || reason === "network" || reason === "server-error";
        if (!transient || tries >= settings.attempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay *= 2;
      }
    }
  }

  return {
    async open(path: string): Promise<LowerFile> {
      const raw = urls.get(path);
      if (raw === undefined) throw unavailable(path, "not-in-grant");
      const url = new URL(raw);
      const probe = Buffer.alloc(settings.probeBytes);
      const { filled, range } = await ranged(path, url, 0, probe.length, probe, false);
      const head = probe.subarray(0, filled);
      const size = range.total;
      return {
        size,
        async read(target, length, position) {
          const wanted = Math.max(0, Math.min(length, size - position));
          if (wanted === 0) return target.subarray(0, 0);
          // The probe already holds the header: the reader's first read costs no request.
          if (position + wanted <= head.length) {
            head.copy(target, 0, position, position + wanted);
            return target.subarray(0, wanted);
          }
          await ranged(path, url, position, wanted, target, true);
          return target.subarray(0, wanted);
        },
        async close() {},
      };
    },
  };
}

function parseRange(header: string | string[] | null): Range | undefined {
  if (Array.isArray(header)) return undefined;
  const match = header === null ? null : CONTENT_RANGE.exec(header.trim());
  if (!match) return undefined;
  const [start, end, total] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (![start, end, total].every(Number.isSafeInteger) || end < start) return undefined;
  return { start, end, total };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
