import { readFileSync } from "node:fs";
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { describe, expect, it } from "vitest";
import { generateEphemeralKeyPair } from "./ecdhe-wrap";
import { hpkeOpen, hpkeSeal, openContentKey, sealContentKey } from "./hpke";

const vector = JSON.parse(
  readFileSync(
    new URL("../../test/vectors/hpke/rfc9180-a1-1-base-x25519-sha256-aes128gcm.json", import.meta.url),
    "utf8",
  ),
) as Record<string, string> & { encryptions: { seq: number; aad: string; pt: string; ct: string }[] };
const hex = (value: string) => new Uint8Array(Buffer.from(value, "hex"));
const toHex = (value: ArrayBuffer | Uint8Array) => Buffer.from(value as Uint8Array).toString("hex");

describe("RFC 9180 A.1.1 (the library's KEM, KDF and key schedule)", () => {
  const suite = new CipherSuite({
    kem: new DhkemX25519HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: new Aes128Gcm(),
  });

  it("DeriveKeyPair(ikmE) and DeriveKeyPair(ikmR) give the appendix's key pairs", async () => {
    for (const [ikm, sk, pk] of [
      ["ikmE", "skEm", "pkEm"],
      ["ikmR", "skRm", "pkRm"],
    ] as const) {
      const pair = await suite.kem.deriveKeyPair(hex(vector[ikm]!).buffer);
      expect(toHex(await suite.kem.serializePrivateKey(pair.privateKey))).toBe(vector[sk]);
      expect(toHex(await suite.kem.serializePublicKey(pair.publicKey))).toBe(vector[pk]);
    }
  });

  it("the sender reproduces enc and the ciphertexts of sequence numbers 0, 1, 2", async () => {
    const sender = await suite.createSenderContext({
      recipientPublicKey: await suite.kem.deserializePublicKey(hex(vector.pkRm!)),
      info: hex(vector.info!),
      ekm: hex(vector.ikmE!),
    });
    expect(toHex(sender.enc)).toBe(vector.enc);
    for (const encryption of vector.encryptions) {
      expect(toHex(await sender.seal(hex(encryption.pt), hex(encryption.aad)))).toBe(encryption.ct);
    }
  });

  it("the recipient opens the appendix's ciphertexts in order", async () => {
    const recipient = await suite.createRecipientContext({
      recipientKey: await suite.kem.deserializePrivateKey(hex(vector.skRm!)),
      enc: hex(vector.enc!),
      info: hex(vector.info!),
    });
    for (const encryption of vector.encryptions) {
      expect(toHex(await recipient.open(hex(encryption.ct), hex(encryption.aad)))).toBe(encryption.pt);
    }
  });
});

describe("cce4long HPKE suite (X25519, HKDF-SHA256, AES-256-GCM)", () => {
  const recipient = generateEphemeralKeyPair();
  const contentKey = new Uint8Array(32).map((_, i) => i + 1);

  it("round-trips a content key sealed to the ingest key", async () => {
    const sealed = await sealContentKey({
      ingestPublicKey: recipient.publicKey,
      datasetId: "ds-1",
      contentKey,
    });
    expect(sealed.enc).toHaveLength(32);
    expect(sealed.ciphertext).toHaveLength(32 + 16);
    const opened = await openContentKey({
      ingestPrivateKey: recipient.privateKey,
      datasetId: "ds-1",
      sealed,
    });
    expect(opened).toEqual(contentKey);
  });

  it("uses a fresh ephemeral key per seal (two seals differ)", async () => {
    const a = await sealContentKey({ ingestPublicKey: recipient.publicKey, datasetId: "ds-1", contentKey });
    const b = await sealContentKey({ ingestPublicKey: recipient.publicKey, datasetId: "ds-1", contentKey });
    expect(toHex(a.enc)).not.toBe(toHex(b.enc));
    expect(toHex(a.ciphertext)).not.toBe(toHex(b.ciphertext));
  });

  it("error: opened with another private key", async () => {
    const sealed = await sealContentKey({
      ingestPublicKey: recipient.publicKey,
      datasetId: "ds-1",
      contentKey,
    });
    const other = generateEphemeralKeyPair();
    await expect(
      openContentKey({ ingestPrivateKey: other.privateKey, datasetId: "ds-1", sealed }),
    ).rejects.toMatchObject({ code: "KEY_UNWRAP_FAILED" });
  });

  it("error: opened for another dataset (info binds the dataset id)", async () => {
    const sealed = await sealContentKey({
      ingestPublicKey: recipient.publicKey,
      datasetId: "ds-1",
      contentKey,
    });
    await expect(
      openContentKey({ ingestPrivateKey: recipient.privateKey, datasetId: "ds-2", sealed }),
    ).rejects.toMatchObject({ code: "KEY_UNWRAP_FAILED" });
  });

  it("error: opened for another purpose (info binds the purpose)", async () => {
    const sealed = await hpkeSeal({
      recipientPublicKey: recipient.publicKey,
      context: { purpose: "UPLOAD_DATA", datasetId: "ds-1" },
      plaintext: contentKey,
    });
    await expect(
      openContentKey({ ingestPrivateKey: recipient.privateKey, datasetId: "ds-1", sealed }),
    ).rejects.toMatchObject({ code: "KEY_UNWRAP_FAILED" });
  });

  it("error: other associated data", async () => {
    const aad = new TextEncoder().encode("upload-1");
    const sealed = await sealContentKey({
      ingestPublicKey: recipient.publicKey,
      datasetId: "ds-1",
      contentKey,
      aad,
    });
    await expect(
      openContentKey({
        ingestPrivateKey: recipient.privateKey,
        datasetId: "ds-1",
        sealed,
        aad: new TextEncoder().encode("upload-2"),
      }),
    ).rejects.toMatchObject({ code: "KEY_UNWRAP_FAILED" });
  });

  it("error: any flipped bit in enc or ciphertext", async () => {
    const sealed = await sealContentKey({
      ingestPublicKey: recipient.publicKey,
      datasetId: "ds-1",
      contentKey,
    });
    for (const field of ["enc", "ciphertext"] as const) {
      for (const index of [0, sealed[field].length - 1]) {
        const tampered = { ...sealed, [field]: sealed[field].slice() };
        tampered[field][index]! ^= 0x01;
        await expect(
          openContentKey({ ingestPrivateKey: recipient.privateKey, datasetId: "ds-1", sealed: tampered }),
        ).rejects.toMatchObject({ code: "KEY_UNWRAP_FAILED" });
      }
    }
  });

  it("error: malformed inputs are refused with exact messages", async () => {
    await expect(
      hpkeSeal({
        recipientPublicKey: new Uint8Array(31),
        context: { purpose: "UPLOAD_DATA", datasetId: "d" },
        plaintext: contentKey,
      }),
    ).rejects.toThrow("HPKE recipient public key must be 32 bytes (X25519)");
    await expect(
      sealContentKey({
        ingestPublicKey: recipient.publicKey,
        datasetId: "ds-1",
        contentKey: new Uint8Array(16),
      }),
    ).rejects.toThrow("Content key must be 32 bytes");
    await expect(
      hpkeSeal({
        recipientPublicKey: recipient.publicKey,
        context: { purpose: "UPLOAD_DATA", datasetId: "a/v1" },
        plaintext: contentKey,
      }),
    ).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    const sealed = await sealContentKey({
      ingestPublicKey: recipient.publicKey,
      datasetId: "ds-1",
      contentKey,
    });
    await expect(
      hpkeOpen({
        recipientPrivateKey: recipient.privateKey,
        context: { purpose: "UPLOAD_CONTENT_KEY", datasetId: "ds-1" },
        sealed: { ...sealed, enc: sealed.enc.subarray(1) },
      }),
    ).rejects.toThrow("HPKE enc must be 32 bytes");
  });

  it("errors carry no key bytes", async () => {
    const sealed = await sealContentKey({
      ingestPublicKey: recipient.publicKey,
      datasetId: "ds-1",
      contentKey,
    });
    const error = await openContentKey({
      ingestPrivateKey: generateEphemeralKeyPair().privateKey,
      datasetId: "ds-1",
      sealed,
    }).catch((e: unknown) => e);
    const text = JSON.stringify({
      message: (error as Error).message,
      detail: (error as { detail: unknown }).detail,
    });
    for (const secret of [contentKey, recipient.privateKey]) {
      expect(text).not.toContain(toHex(secret));
      expect(text).not.toContain(Buffer.from(secret).toString("base64"));
    }
  });
});
