/**
 * The upload envelope (docs/upload-envelope.md): sizes, round trips through re-encryption under the
 * dataset key, and every way a staged object can be wrong or moved.
 */
import { decryptBuffer } from "@cce4long/sealing";
import { x25519PublicKey } from "@cce4long/sealing/keys/derive";
import { describe, expect, it } from "vitest";
import {
  ENVELOPE_PREFIX_BYTES,
  type EnvelopeContext,
  envelopeLength,
  parseEnvelopePrefix,
  sealEnvelope,
} from "./envelope";
import { DATASET_CHUNK_SIZE, reencryptEnvelope } from "./reencrypt";
import {
  collect,
  DATASET,
  DATASET_KEY_BYTES,
  datasetKey,
  INGEST_PRIVATE_KEY,
  INGEST_PUBLIC_KEY,
  one,
} from "./test-support";

const context: EnvelopeContext = {
  datasetId: DATASET,
  uploadId: "0123456789abcdef0123456789abcdef",
  path: "cohort.csv",
};

async function seal(plaintext: Uint8Array, at: EnvelopeContext = context, publicKey = INGEST_PUBLIC_KEY) {
  return collect(
    sealEnvelope(one(plaintext), {
      ...at,
      ingestPublicKey: publicKey,
      ingestKeyVersion: 1,
      plaintextLength: plaintext.length,
    }),
  );
}

async function reencrypt(
  envelope: Uint8Array,
  at: EnvelopeContext = context,
  privateKey = INGEST_PRIVATE_KEY,
) {
  let stored: Uint8Array = new Uint8Array();
  const result = await reencryptEnvelope({
    source: one(envelope),
    context: at,
    ingestPrivateKey: async () => privateKey.slice(),
    datasetKey: datasetKey(),
    write: async (ciphertext) => {
      stored = await collect(ciphertext);
      return { bytes: stored.length, sha256: "00".repeat(32) };
    },
  });
  return { result, stored };
}

function randomBytes(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 24);
}

describe("upload envelope", () => {
  it.each([0, 1, 65_535, 65_536, 65_537, 200_003])(
    "round-trips %i bytes into a dataset file under the dataset key, with the predicted size",
    async (size) => {
      const plaintext = randomBytes(size);
      const envelope = await seal(plaintext);
      expect(envelope.length).toBe(envelopeLength(DATASET, size));
      const { result, stored } = await reencrypt(envelope);
      const opened = decryptBuffer(stored, DATASET_KEY_BYTES);
      expect(Buffer.from(opened.plaintext).equals(Buffer.from(plaintext))).toBe(true);
      expect(opened.header).toMatchObject({
        datasetId: DATASET,
        keyVersion: 1,
        chunkSize: DATASET_CHUNK_SIZE,
      });
      expect(result).toMatchObject({ plaintextBytes: size, ciphertextBytes: stored.length, keyVersion: 1 });
      expect(result.fileId).toBe(Buffer.from(opened.header.fileId).toString("hex"));
    },
  );

  it("contains none of the plaintext and uses a fresh content key each time", async () => {
    const plaintext = new TextEncoder().encode(
      "participant_id,full_name\nP00000001,Ada Lovelace\n".repeat(50),
    );
    const a = await seal(plaintext);
    const b = await seal(plaintext);
    expect(Buffer.from(a).includes(Buffer.from("Ada Lovelace"))).toBe(false);
    expect(
      Buffer.from(a.subarray(ENVELOPE_PREFIX_BYTES)).equals(Buffer.from(b.subarray(ENVELOPE_PREFIX_BYTES))),
    ).toBe(false);
  });

  it("does not open for another upload, another path, another dataset or another ingest key", async () => {
    const envelope = await seal(randomBytes(1000));
    const others: EnvelopeContext[] = [
      { ...context, uploadId: "f".repeat(32) },
      { ...context, path: "other.csv" },
      { ...context, datasetId: `0x${"cd".repeat(32)}` },
    ];
    for (const other of others) {
      await expect(reencrypt(envelope, other)).rejects.toMatchObject({ code: "UPLOAD_ENVELOPE_INVALID" });
    }
    const stranger = new Uint8Array(32).fill(9);
    await expect(reencrypt(envelope, context, stranger)).rejects.toMatchObject({
      code: "UPLOAD_ENVELOPE_INVALID",
    });
    const forStranger = await seal(randomBytes(10), context, x25519PublicKey(stranger));
    await expect(reencrypt(forStranger)).rejects.toMatchObject({ code: "UPLOAD_ENVELOPE_INVALID" });
  });

  it("rejects a flipped bit anywhere, truncation and extension with UPLOAD_ENVELOPE_INVALID", async () => {
    const envelope = await seal(randomBytes(140_000));
    for (const at of [
      9,
      12,
      20,
      60,
      ENVELOPE_PREFIX_BYTES + 3,
      ENVELOPE_PREFIX_BYTES + 150,
      100_000,
      envelope.length - 1,
    ]) {
      const tampered = envelope.slice();
      tampered[at]! ^= 0x01;
      await expect(reencrypt(tampered), `bit at ${at}`).rejects.toMatchObject({
        code: "UPLOAD_ENVELOPE_INVALID",
      });
    }
    const prefixLength = ENVELOPE_PREFIX_BYTES + 172;
    for (const cut of [10, ENVELOPE_PREFIX_BYTES, prefixLength + 65_536 + 16, envelope.length - 1]) {
      await expect(reencrypt(envelope.subarray(0, cut)), `cut at ${cut}`).rejects.toMatchObject({
        code: "UPLOAD_ENVELOPE_INVALID",
      });
    }
    const longer = Buffer.concat([envelope, Uint8Array.of(0)]);
    await expect(reencrypt(longer)).rejects.toMatchObject({ code: "UPLOAD_ENVELOPE_INVALID" });
  });

  it("parses the prefix without a key and refuses other magic or versions", () => {
    const prefix = new Uint8Array(ENVELOPE_PREFIX_BYTES);
    expect(() => parseEnvelopePrefix(prefix)).toThrow(/magic/);
    expect(() => parseEnvelopePrefix(prefix.subarray(0, 20))).toThrow(/shorter/);
    prefix.set([0x89, 0x43, 0x43, 0x45, 0x34, 0x4c, 0x55, 0x50, 2]);
    expect(() => parseEnvelopePrefix(prefix)).toThrow(/version/);
    prefix[8] = 1;
    expect(() => parseEnvelopePrefix(prefix)).toThrow(/at least 1/);
    prefix[12] = 3;
    expect(parseEnvelopePrefix(prefix).ingestKeyVersion).toBe(3);
  });
});
