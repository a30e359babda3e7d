import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  generateEphemeralKeyPair,
  type KeyReleaseContext,
  unwrapDatasetKey,
  WRAPPED_KEY_BYTES,
  wrapDatasetKey,
} from "./ecdhe-wrap";

const context: KeyReleaseContext = {
  jobId: "job-42",
  credentialNonce: new Uint8Array(32).fill(9),
  datasetId: "ds-1",
  keyVersion: 3,
};
const datasetKey = new Uint8Array(randomBytes(32));
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("ECDHE key release wrap", () => {
  const vm = generateEphemeralKeyPair();

  it("round-trips a dataset key to the VM's ephemeral key", () => {
    const wrapped = wrapDatasetKey({ datasetKey, recipientPublicKey: vm.publicKey, context });
    expect(wrapped).toHaveLength(WRAPPED_KEY_BYTES);
    expect(wrapped[0]).toBe(1);
    expect(unwrapDatasetKey({ wrapped, recipientPrivateKey: vm.privateKey, context })).toEqual(datasetKey);
  });

  it("never contains the key in the clear and differs on every wrap", () => {
    const a = wrapDatasetKey({ datasetKey, recipientPublicKey: vm.publicKey, context });
    const b = wrapDatasetKey({ datasetKey, recipientPublicKey: vm.publicKey, context });
    expect(hex(a)).not.toContain(hex(datasetKey));
    expect(hex(a)).not.toBe(hex(b));
  });

  it("error: unwrapped with another private key", () => {
    const wrapped = wrapDatasetKey({ datasetKey, recipientPublicKey: vm.publicKey, context });
    const other = generateEphemeralKeyPair();
    expect(() => unwrapDatasetKey({ wrapped, recipientPrivateKey: other.privateKey, context })).toThrow(
      expect.objectContaining({ code: "KEY_UNWRAP_FAILED" }),
    );
  });

  it.each([
    ["another job id", { jobId: "job-43" }],
    ["another credential nonce", { credentialNonce: new Uint8Array(32).fill(8) }],
    ["another dataset", { datasetId: "ds-2" }],
    ["another key version", { keyVersion: 4 }],
  ])("error: associated data differs (%s)", (_name, change) => {
    const wrapped = wrapDatasetKey({ datasetKey, recipientPublicKey: vm.publicKey, context });
    expect(() =>
      unwrapDatasetKey({ wrapped, recipientPrivateKey: vm.privateKey, context: { ...context, ...change } }),
    ).toThrow(expect.objectContaining({ code: "KEY_UNWRAP_FAILED" }));
  });

  it("error: every single flipped bit after the version byte", () => {
    const wrapped = wrapDatasetKey({ datasetKey, recipientPublicKey: vm.publicKey, context });
    for (let index = 1; index < wrapped.length; index++) {
      const tampered = wrapped.slice();
      tampered[index]! ^= 1 << (index % 8);
      expect(() =>
        unwrapDatasetKey({ wrapped: tampered, recipientPrivateKey: vm.privateKey, context }),
      ).toThrow(expect.objectContaining({ code: "KEY_UNWRAP_FAILED" }));
    }
  });

  it("error: wrong length or version, with exact messages", () => {
    const wrapped = wrapDatasetKey({ datasetKey, recipientPublicKey: vm.publicKey, context });
    expect(() =>
      unwrapDatasetKey({ wrapped: wrapped.subarray(1), recipientPrivateKey: vm.privateKey, context }),
    ).toThrow("Wrapped key must be 93 bytes");
    const otherVersion = wrapped.slice();
    otherVersion[0] = 2;
    expect(() =>
      unwrapDatasetKey({ wrapped: otherVersion, recipientPrivateKey: vm.privateKey, context }),
    ).toThrow("Unsupported wrapped key version");
  });

  it("error: a low-order (all-zero) recipient public key is refused", () => {
    expect(() => wrapDatasetKey({ datasetKey, recipientPublicKey: new Uint8Array(32), context })).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
  });

  it("error: malformed inputs", () => {
    expect(() =>
      wrapDatasetKey({ datasetKey: new Uint8Array(16), recipientPublicKey: vm.publicKey, context }),
    ).toThrow("Dataset key must be 32 bytes");
    expect(() => wrapDatasetKey({ datasetKey, recipientPublicKey: new Uint8Array(33), context })).toThrow(
      "X25519 public key must be 32 bytes",
    );
    expect(() =>
      wrapDatasetKey({
        datasetKey,
        recipientPublicKey: vm.publicKey,
        context: { ...context, credentialNonce: new Uint8Array(4) },
      }),
    ).toThrow("Key release credential nonce must be at least 16 bytes");
    expect(() =>
      wrapDatasetKey({ datasetKey, recipientPublicKey: vm.publicKey, context: { ...context, jobId: "" } }),
    ).toThrow("Key release job id must be 1 to 256 characters");
  });

  it("errors carry no key bytes", () => {
    const wrapped = wrapDatasetKey({ datasetKey, recipientPublicKey: vm.publicKey, context });
    const error = (() => {
      try {
        unwrapDatasetKey({ wrapped, recipientPrivateKey: generateEphemeralKeyPair().privateKey, context });
      } catch (e) {
        return e as Error & { detail?: unknown };
      }
      throw new Error("expected a failure");
    })();
    const text = `${error.message} ${JSON.stringify(error.detail)} ${String(error.cause)}`;
    expect(text).not.toContain(hex(datasetKey));
    expect(text).not.toContain(hex(vm.privateKey));
  });
});
