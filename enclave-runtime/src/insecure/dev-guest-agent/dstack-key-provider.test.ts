import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DstackKeyProvider } from "@cce4long/sealing/keys/dstack-key-provider";
import { KEY_PURPOSE } from "@cce4long/sealing/keys/labels";
import { secp256k1 } from "@noble/curves/secp256k1";
import { keccak_256 } from "@noble/hashes/sha3";
import { DstackClient } from "@phala/dstack-sdk";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type DevGuestAgent, startDevGuestAgent } from "./index";

// The production KeyProvider, through the real @phala/dstack-sdk, against the development guest agent.
const dirs: string[] = [];
const agents: DevGuestAgent[] = [];
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cce4long-dstack-kp-"));
  dirs.push(dir);
  return dir;
}

async function start(
  dir: string,
  appCompose?: string,
): Promise<{ agent: DevGuestAgent; provider: DstackKeyProvider }> {
  const socketPath = join(dir, "dstack.sock");
  const agent = await startDevGuestAgent({
    socketPath,
    stateDir: join(dir, "state"),
    appCompose,
    env: { CCE4LONG_DEPLOYMENT: "development" },
  });
  agents.push(agent);
  return { agent, provider: new DstackKeyProvider({ endpoint: socketPath }) };
}

afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("DstackKeyProvider over the development guest agent", () => {
  it("derives the same keys after a restart with the same root", async () => {
    const dir = tempDir();
    const first = await start(dir);
    const before = await first.provider.datasetKey("ds-1", 1);
    const ingestBefore = await first.provider.ingestKeyPair();
    await first.agent.close();
    const second = await start(dir);
    const after = await second.provider.datasetKey("ds-1", 1);
    expect(hex(after.key)).toBe(hex(before.key));
    expect(after.fingerprint).toBe(before.fingerprint);
    expect(hex((await second.provider.ingestKeyPair()).publicKey)).toBe(hex(ingestBefore.publicKey));
  });

  it("another root (another state dir) gives other keys", async () => {
    const a = await (await start(tempDir())).provider.datasetKey("ds-1", 1);
    const b = await (await start(tempDir())).provider.datasetKey("ds-1", 1);
    expect(hex(a.key)).not.toBe(hex(b.key));
  });

  it("different datasets, versions and purposes give different keys", async () => {
    const { provider } = await start(tempDir());
    const keys = [
      (await provider.datasetKey("ds-1", 1)).key,
      (await provider.datasetKey("ds-1", 2)).key,
      (await provider.datasetKey("ds-2", 1)).key,
      (await provider.ingestKeyPair(1)).privateKey,
      (await provider.ingestKeyPair(2)).privateKey,
      (await provider.gateOutputKeyPair(1)).privateKey,
      (await provider.outputVaultKey(1)).key,
      (await provider.outputVaultKey(2)).key,
      (await provider.signingKey("job-credential")).privateKey,
      (await provider.signingKey("result-manifest")).privateKey,
    ].map(hex);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(key).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a changed measurement (app compose) keeps the keys: they are bound to the app id, as with dstack's KMS", async () => {
    const dir = tempDir();
    const first = await start(dir, '{"version":"a"}');
    const measurementA = (await new DstackClient(first.agent.socketPath).info()).compose_hash;
    const keyA = await first.provider.datasetKey("ds-1", 1);
    await first.agent.close();
    const second = await start(dir, '{"version":"b"}');
    const measurementB = (await new DstackClient(second.agent.socketPath).info()).compose_hash;
    expect(measurementB).not.toBe(measurementA);
    expect(hex((await second.provider.datasetKey("ds-1", 1)).key)).toBe(hex(keyA.key));
  });

  it("the Ethereum signing key comes with dstack's signature chain, verifiable to the app key", async () => {
    const { agent, provider } = await start(tempDir());
    const key = await provider.signingKey("result-manifest");
    expect(key.address).toMatch(/^0x[0-9a-f]{40}$/);
    expect(key.signatureChain).toHaveLength(2);
    const compressed = hex(secp256k1.getPublicKey(key.privateKey, true));
    const digest = keccak_256(new TextEncoder().encode(`${KEY_PURPOSE.SIGNING}:${compressed}`));
    const sig = key.signatureChain[0]!;
    const recovered = secp256k1.Signature.fromCompact(sig.subarray(0, 64))
      .addRecoveryBit(sig[64]!)
      .recoverPublicKey(digest);
    const info = await new DstackClient(agent.socketPath).info();
    expect(recovered.toHex(true)).toBe(JSON.parse(info.key_provider_info).id);
  });

  it("X25519 key pairs are consistent (public half matches private half)", async () => {
    const { provider } = await start(tempDir());
    const pair = await provider.gateOutputKeyPair();
    const { x25519PublicKey } = await import("@cce4long/sealing/keys/derive");
    expect(hex(x25519PublicKey(pair.privateKey))).toBe(hex(pair.publicKey));
    pair.wipe();
    expect(pair.privateKey.every((byte) => byte === 0)).toBe(true);
  });

  it("error: malformed dataset ids and versions are refused before any request", async () => {
    const { provider } = await start(tempDir());
    for (const id of ["", "a/v1", "../x", "-x", "x".repeat(129)]) {
      await expect(provider.datasetKey(id, 1)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    }
    for (const version of [0, -1, 1.5, 2 ** 31]) {
      await expect(provider.datasetKey("ds-1", version)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    }
  });

  it("error: an unreachable guest agent is KEY_PROVIDER_FAILED, with no key bytes in the error", async () => {
    const dir = tempDir();
    const { agent, provider } = await start(dir);
    const key = await provider.datasetKey("ds-1", 1);
    await agent.close();
    const error = (await provider.datasetKey("ds-1", 1).then(
      () => undefined,
      (e: unknown) => e,
    )) as Error & { detail: unknown };
    expect(error).toMatchObject({ code: "KEY_PROVIDER_FAILED", message: "dstack GetKey failed" });
    expect(`${error.message} ${JSON.stringify(error.detail)} ${String(error.cause)}`).not.toContain(
      hex(key.key),
    );
    expect(() => new DstackKeyProvider({ endpoint: join(dir, "missing.sock") })).toThrow(
      expect.objectContaining({ code: "KEY_PROVIDER_FAILED" }),
    );
  });
});
