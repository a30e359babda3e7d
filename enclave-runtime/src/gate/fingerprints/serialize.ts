/**
 * Byte form of a fingerprint index (runs inside the TEE). Ingest encrypts these bytes with the
 * dataset's file format; the gate decrypts and loads them. Layout: "C4LGFP01", u32 LE header length,
 * header JSON (params, stats, key check, set sizes), zero padding to 8 bytes, then each tag set as
 * sorted little-endian u64 tags, in SET_ORDER. The key is not in it: loading needs the same key,
 * checked against the stored key-check tag so a wrong key fails loudly instead of matching nothing.
 */
import { timingSafeEqual } from "node:crypto";
import { Cce4longError } from "@cce4long/protocol";
import { z } from "zod";
import { FingerprintIndex, type FingerprintSets } from "./fingerprint-index";
import { fingerprintParamsSchema } from "./params";
import { FingerprintKey } from "./prf";
import { TagSet } from "./tag-set";

const MAGIC = "C4LGFP01";
const SET_ORDER = [
  "identifiers",
  "qiValues",
  "rareCombos",
  "shingleValues",
  "bands",
] as const satisfies readonly (keyof FingerprintSets)[];

const headerSchema = z
  .object({
    params: fingerprintParamsSchema,
    stats: z
      .object({
        rows: z.number().int().min(0),
        identifierColumns: z.array(z.string()),
        quasiIdentifierColumns: z.array(z.string()),
        shingleColumns: z.array(z.string()),
      })
      .strict(),
    keyCheck: z.string().regex(/^[0-9a-f]{16}$/),
    sizes: z.array(z.number().int().min(0)).length(SET_ORDER.length),
  })
  .strict();

const pad8 = (n: number) => (n + 7) & ~7;

export function serializeFingerprintIndex(index: FingerprintIndex): Uint8Array {
  const header = new TextEncoder().encode(
    JSON.stringify({
      params: index.params,
      stats: index.stats,
      keyCheck: index.key.keyCheck(),
      sizes: SET_ORDER.map((name) => index.sets[name].size),
    }),
  );
  const setsStart = pad8(12 + header.length);
  const out = new Uint8Array(
    setsStart + SET_ORDER.reduce((sum, name) => sum + index.sets[name].tags.byteLength, 0),
  );
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  let at = setsStart;
  for (const name of SET_ORDER) {
    const tags = index.sets[name].tags;
    out.set(new Uint8Array(tags.buffer, tags.byteOffset, tags.byteLength), at);
    at += tags.byteLength;
  }
  return out;
}

function corrupt(reason: string): Cce4longError {
  return new Cce4longError("VALIDATION_FAILED", `fingerprint index is corrupt: ${reason}`);
}

export function deserializeFingerprintIndex(bytes: Uint8Array, datasetKey: Uint8Array): FingerprintIndex {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC)
    throw corrupt("bad magic");
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (12 + headerLength > bytes.length) throw corrupt("header runs past the end");
  let json: unknown;
  try {
    json = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(12, 12 + headerLength)),
    );
  } catch (cause) {
    throw new Cce4longError("VALIDATION_FAILED", "fingerprint index is corrupt: header is not JSON", {
      cause,
    });
  }
  const parsed = headerSchema.safeParse(json);
  if (!parsed.success) throw corrupt("header does not validate");
  const header = parsed.data;
  const key = new FingerprintKey(datasetKey);
  if (!timingSafeEqual(Buffer.from(key.keyCheck(), "hex"), Buffer.from(header.keyCheck, "hex"))) {
    throw new Cce4longError("VALIDATION_FAILED", "fingerprint index was built under another key");
  }
  let at = pad8(12 + headerLength);
  const expected = at + header.sizes.reduce((sum, n) => sum + n * 8, 0);
  if (expected !== bytes.length) throw corrupt(`expected ${expected} bytes, got ${bytes.length}`);
  const sets = {} as Record<(typeof SET_ORDER)[number], TagSet>;
  for (const [i, name] of SET_ORDER.entries()) {
    const size = header.sizes[i]!;
    // Shared memory from the start: the gate's scan workers read these tables without a copy.
    const tags = new BigUint64Array(new SharedArrayBuffer(size * 8));
    new Uint8Array(tags.buffer).set(bytes.subarray(at, at + size * 8));
    sets[name] = TagSet.fromSorted(tags);
    at += size * 8;
  }
  return new FingerprintIndex(key, header.params, header.stats, sets);
}
