/**
 * report_data: the 64 bytes a TEE quote carries for the attester's own use, built by ONE function
 * (runs anywhere: boot agent, Privacy Plane, CLI, browser). Binds a quote to a purpose, a key and a nonce.
 */
import { sha512 } from "@noble/hashes/sha2";
import { utf8ToBytes } from "@noble/hashes/utils";
import { Cce4longError } from "../errors/index";

/** TDX TDREPORT.REPORTDATA is exactly 64 bytes. */
export const REPORT_DATA_BYTES = 64;
/** The ephemeral key bound into report_data is an X25519 public key. */
export const REPORT_DATA_PUBLIC_KEY_BYTES = 32;
/** A nonce shorter than 128 bits could be guessed or repeated; longer than 256 bytes is a mistake. */
export const REPORT_DATA_NONCE_MIN_BYTES = 16;
export const REPORT_DATA_NONCE_MAX_BYTES = 256;

/**
 * Purpose tags: what a quote may be used for. The tag is hashed first, so a quote made to publish
 * an ingest key can never be replayed to obtain a dataset key, and vice versa. Versioned: a change
 * of the layout below gets a new tag, never a new meaning for an old one.
 */
export const REPORT_DATA_PURPOSE = {
  /** A Computing Plane VM asks the Privacy Plane for a dataset key (Privacy Mode job). */
  KEY_RELEASE: "cce4long/report-data/v1/key-release",
  /** The Privacy Plane publishes the public key that providers encrypt their uploads to. */
  INGEST_KEY_PUBLICATION: "cce4long/report-data/v1/ingest-key-publication",
  /** An Explore Mode session VM asks for the key of the desensitized samples. */
  EXPLORE_SESSION: "cce4long/report-data/v1/explore-session",
} as const;

export type ReportDataPurpose = (typeof REPORT_DATA_PURPOSE)[keyof typeof REPORT_DATA_PURPOSE];

const KNOWN_PURPOSES: ReadonlySet<string> = new Set(Object.values(REPORT_DATA_PURPOSE));

export interface ReportDataInput {
  purpose: ReportDataPurpose;
  /** The attester's ephemeral X25519 public key (32 bytes). */
  publicKey: Uint8Array;
  /** The single-use nonce of the credential this quote answers (16 to 256 bytes). */
  nonce: Uint8Array;
}

/**
 * report_data = SHA-512( len(tag) || tag || len(pk) || pk || len(nonce) || nonce ), len = u32 big-endian.
 *
 * Why SHA-512 rather than SHA-256 zero-padded: its digest is exactly the 64-byte field, so every byte
 * of report_data is committed and no padding convention has to be specified, checked or got wrong by
 * an outside verifier; and SHA-512 is in every runtime the verifiers run in (noble here, WebCrypto elsewhere).
 * Why length prefixes: without them ("ab","c") and ("a","bc") would hash the same bytes; with them no
 * shift of bytes between fields can produce the same input.
 */
export function buildReportData(input: ReportDataInput): Uint8Array {
  if (!KNOWN_PURPOSES.has(input.purpose)) {
    throw invalid(`report_data purpose must be one of the REPORT_DATA_PURPOSE tags`, {
      purpose: String(input.purpose),
    });
  }
  if (!(input.publicKey instanceof Uint8Array) || input.publicKey.length !== REPORT_DATA_PUBLIC_KEY_BYTES) {
    throw invalid(`report_data public key must be ${REPORT_DATA_PUBLIC_KEY_BYTES} bytes (X25519)`, {
      length: input.publicKey?.length,
    });
  }
  const nonceLength = input.nonce instanceof Uint8Array ? input.nonce.length : -1;
  if (nonceLength < REPORT_DATA_NONCE_MIN_BYTES || nonceLength > REPORT_DATA_NONCE_MAX_BYTES) {
    throw invalid(
      `report_data nonce must be ${REPORT_DATA_NONCE_MIN_BYTES} to ${REPORT_DATA_NONCE_MAX_BYTES} bytes`,
      { length: nonceLength },
    );
  }
  const hash = sha512.create();
  for (const field of [utf8ToBytes(input.purpose), input.publicKey, input.nonce]) {
    hash.update(u32be(field.length));
    hash.update(field);
  }
  return hash.digest();
}

/** Compares two report_data values without an early exit (the values are not secret; this is habit). */
export function reportDataEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== REPORT_DATA_BYTES || b.length !== REPORT_DATA_BYTES) return false;
  let diff = 0;
  for (let i = 0; i < REPORT_DATA_BYTES; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

function u32be(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, false);
  return out;
}

function invalid(message: string, detail: Record<string, unknown>): Cce4longError {
  return new Cce4longError("VALIDATION_FAILED", message, { detail });
}
