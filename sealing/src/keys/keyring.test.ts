import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { keyFingerprint } from "./derive";
import { InMemoryKeyVersionStore } from "./key-version-store";
import { DatasetKeyring } from "./keyring";
import type { DatasetKey, KeyProvider } from "./types";
import { wipe } from "./wipe";

/** A stand-in provider: keys are HMAC(root, dataset/version). The real one is tested against the dev agent. */
function fakeProvider(root: string): KeyProvider & { derived: number } {
  const provider = {
    derived: 0,
    async datasetKey(datasetId: string, keyVersion: number): Promise<DatasetKey> {
      provider.derived++;
      const key = new Uint8Array(createHmac("sha256", root).update(`${datasetId}/v${keyVersion}`).digest());
      return { datasetId, keyVersion, key, fingerprint: keyFingerprint(key), wipe: () => wipe(key) };
    },
    signingKey: () => Promise.reject(new Error("unused")),
    ingestKeyPair: () => Promise.reject(new Error("unused")),
    gateOutputKeyPair: () => Promise.reject(new Error("unused")),
    outputVaultKey: () => Promise.reject(new Error("unused")),
  };
  return provider;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("DatasetKeyring rotation and retirement", () => {
  it("creates a dataset at version 1 and writes under it", async () => {
    const keyring = new DatasetKeyring({ provider: fakeProvider("r"), store: new InMemoryKeyVersionStore() });
    const created = await keyring.createDataset("ds-1");
    const write = await keyring.keyForWrite("ds-1");
    expect(created.keyVersion).toBe(1);
    expect(write.keyVersion).toBe(1);
    expect(hex(write.key)).toBe(hex(created.key));
  });

  it("error: a dataset can be created only once", async () => {
    const keyring = new DatasetKeyring({ provider: fakeProvider("r"), store: new InMemoryKeyVersionStore() });
    await keyring.createDataset("ds-1");
    await expect(keyring.createDataset("ds-1")).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("rotation makes N+1 current for writes while N stays readable", async () => {
    const keyring = new DatasetKeyring({ provider: fakeProvider("r"), store: new InMemoryKeyVersionStore() });
    const v1 = await keyring.createDataset("ds-1");
    const v2 = await keyring.rotate("ds-1");
    expect(v2.keyVersion).toBe(2);
    expect(hex(v2.key)).not.toBe(hex(v1.key));
    expect((await keyring.keyForWrite("ds-1")).keyVersion).toBe(2);
    expect(hex((await keyring.keyForRead("ds-1", 1)).key)).toBe(hex(v1.key));
    expect(hex((await keyring.keyForRead("ds-1", 2)).key)).toBe(hex(v2.key));
  });

  it("a retired version is refused for reading; other versions are not affected", async () => {
    const keyring = new DatasetKeyring({ provider: fakeProvider("r"), store: new InMemoryKeyVersionStore() });
    await keyring.createDataset("ds-1");
    await keyring.rotate("ds-1");
    const state = await keyring.retire("ds-1", 1);
    expect(state.versions.map((v) => v.status)).toEqual(["retired", "active"]);
    await expect(keyring.keyForRead("ds-1", 1)).rejects.toMatchObject({ code: "KEY_VERSION_RETIRED" });
    expect((await keyring.keyForRead("ds-1", 2)).keyVersion).toBe(2);
  });

  it("retiring twice changes nothing; a retired version number is never reused", async () => {
    const keyring = new DatasetKeyring({ provider: fakeProvider("r"), store: new InMemoryKeyVersionStore() });
    await keyring.createDataset("ds-1");
    await keyring.rotate("ds-1");
    const first = await keyring.retire("ds-1", 1);
    const second = await keyring.retire("ds-1", 1);
    expect(second.revision).toBe(first.revision);
    expect((await keyring.rotate("ds-1")).keyVersion).toBe(3);
  });

  it("error: the current version cannot be retired", async () => {
    const keyring = new DatasetKeyring({ provider: fakeProvider("r"), store: new InMemoryKeyVersionStore() });
    await keyring.createDataset("ds-1");
    await expect(keyring.retire("ds-1", 1)).rejects.toThrow("The current key version cannot be retired");
  });

  it("error: unknown versions, unknown datasets and malformed versions", async () => {
    const keyring = new DatasetKeyring({ provider: fakeProvider("r"), store: new InMemoryKeyVersionStore() });
    await keyring.createDataset("ds-1");
    await expect(keyring.keyForRead("ds-1", 2)).rejects.toMatchObject({ code: "KEY_VERSION_UNKNOWN" });
    await expect(keyring.keyForRead("ds-9", 1)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(keyring.keyForRead("ds-1", 0)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    await expect(keyring.keyForRead("ds-1", 1.5)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    await expect(keyring.retire("ds-1", 7)).rejects.toMatchObject({ code: "KEY_VERSION_UNKNOWN" });
  });

  it("error: a changed TEE root is caught by the recorded fingerprint, without key bytes in the error", async () => {
    const store = new InMemoryKeyVersionStore();
    const before = new DatasetKeyring({ provider: fakeProvider("root-a"), store });
    const original = await before.createDataset("ds-1");
    const after = new DatasetKeyring({ provider: fakeProvider("root-b"), store });
    const error = (await after.keyForRead("ds-1", 1).then(
      () => undefined,
      (e: unknown) => e,
    )) as Error & { detail: unknown };
    expect(error).toMatchObject({ code: "KEY_ROOT_CHANGED" });
    const changed = await fakeProvider("root-b").datasetKey("ds-1", 1);
    const text = `${error.message} ${JSON.stringify(error.detail)}`;
    expect(text).not.toContain(hex(original.key));
    expect(text).not.toContain(hex(changed.key));
  });

  it("concurrent rotations each get a distinct new version", async () => {
    const keyring = new DatasetKeyring({ provider: fakeProvider("r"), store: new InMemoryKeyVersionStore() });
    await keyring.createDataset("ds-1");
    const versions = await Promise.all([
      keyring.rotate("ds-1"),
      keyring.rotate("ds-1"),
      keyring.rotate("ds-1"),
    ]);
    expect(versions.map((key) => key.keyVersion).sort()).toEqual([2, 3, 4]);
    expect((await keyring.state("ds-1")).currentVersion).toBe(4);
  });

  it("wipe() zeroes the key buffer", async () => {
    const keyring = new DatasetKeyring({ provider: fakeProvider("r"), store: new InMemoryKeyVersionStore() });
    const key = await keyring.createDataset("ds-1");
    key.wipe();
    expect(key.key.every((byte) => byte === 0)).toBe(true);
  });
});
