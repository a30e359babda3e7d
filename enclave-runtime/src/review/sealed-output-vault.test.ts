/**
 * The sealed output vault (runs in tests, real files in a temporary folder): a held output set
 * survives a new process and is released after the restart; the disk holds ciphertext only, 0600;
 * a flipped bit, a file moved to another job's name, another key or a malformed listing each fail
 * closed with OUTPUT_VAULT_CORRUPT; wipe removes the sealed copy.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JobFailureReason } from "@cce4long/protocol";
import { encryptBuffer } from "@cce4long/sealing";
import { keyFingerprint } from "@cce4long/sealing/keys/derive";
import { OUTPUT_VAULT_KEY_ID } from "@cce4long/sealing/keys/labels";
import type { DatasetKey } from "@cce4long/sealing/keys/types";
import { type Hex, keccak256, stringToBytes } from "viem";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openResultFile } from "../delivery/result-envelope";
import { FileReviewStore } from "./file-review-store";
import type { OutputVault } from "./output-vault";
import { ReviewService } from "./review-service";
import { decodeOutputSet, encodeOutputSet, SealedOutputVault } from "./sealed-output-vault";
import { DATASET, FILES, harness, report, signedDecision } from "./test-support";

const JOB = keccak256(stringToBytes("job-vault-1"));
const OTHER_JOB = keccak256(stringToBytes("job-vault-2"));
const secret = "participant,age\nP-000017,93\n";

let stateDir: string;
let root: Uint8Array;

/** A stand-in for KeyProvider.outputVaultKey: a fresh copy of one key per call, as dstack gives. */
function vaultKey(key = root): () => Promise<DatasetKey> {
  return async () => {
    const copy = key.slice();
    return {
      datasetId: OUTPUT_VAULT_KEY_ID,
      keyVersion: 1,
      key: copy,
      fingerprint: keyFingerprint(copy),
      wipe: () => copy.fill(0),
    };
  };
}

const files = () => [
  { path: "tables/a.csv", bytes: new TextEncoder().encode(secret) },
  { path: "empty.txt", bytes: new Uint8Array(0) },
  { path: "weights.bin", bytes: new Uint8Array(randomBytes(70_000)) },
];

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "cce4long-output-vault-"));
  root = new Uint8Array(randomBytes(32));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

/** A Privacy Plane over the state folder with JOB's outputs submitted and held for a reviewer. */
async function waitingForReviewer(vault: OutputVault) {
  const h = harness({ store: new FileReviewStore(stateDir), vault });
  h.chain.addJob(JOB, h.consumer.publicKey);
  h.nextReport.value = report("needs-review");
  const record = await h.service.accept({
    jobId: JOB,
    declared: [],
    files: FILES.map((f) => ({ ...f, bytes: f.bytes.slice() })),
  });
  return { h, record };
}

describe("a held output set survives a restart", () => {
  it("is sealed on disk (0600, no plaintext) and read back whole by a new process", async () => {
    const held = files();
    await new SealedOutputVault({ stateDir, key: vaultKey() }).put(JOB, held);
    const names = await readdir(join(stateDir, "output-vault"));
    expect(names).toEqual([`${JOB}.sealed`]);
    const path = join(stateDir, "output-vault", names[0] as string);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const onDisk = await readFile(path);
    expect(onDisk.includes(Buffer.from("P-000017"))).toBe(false);
    expect(onDisk.includes(Buffer.from("tables/a.csv"))).toBe(false);

    const restarted = await new SealedOutputVault({ stateDir, key: vaultKey() }).get(JOB);
    expect(restarted?.map((f) => f.path)).toEqual(held.map((f) => f.path));
    for (const [i, file] of (restarted ?? []).entries()) {
      expect(Buffer.from(file.bytes).equals(Buffer.from(held[i]!.bytes))).toBe(true);
    }
  });

  it("a second put replaces the set; wipe zeroes the bytes and removes the sealed copy", async () => {
    const vault = new SealedOutputVault({ stateDir, key: vaultKey() });
    await vault.put(JOB, files());
    const second = [{ path: "b.csv", bytes: new TextEncoder().encode("x,1\n") }];
    await vault.put(JOB, second);
    expect((await new SealedOutputVault({ stateDir, key: vaultKey() }).get(JOB))?.map((f) => f.path)).toEqual(
      ["b.csv"],
    );
    await vault.wipe(JOB);
    expect(second[0]!.bytes.every((b) => b === 0)).toBe(true);
    expect(await readdir(join(stateDir, "output-vault"))).toEqual([]);
    expect(await new SealedOutputVault({ stateDir, key: vaultKey() }).get(JOB)).toBeUndefined();
  });

  it("two reads racing after a restart share one load: neither gets bytes the other zeroed", async () => {
    await new SealedOutputVault({ stateDir, key: vaultKey() }).put(JOB, files());
    const restarted = new SealedOutputVault({ stateDir, key: vaultKey() });
    const [a, b] = await Promise.all([restarted.get(JOB), restarted.get(JOB)]);
    expect(a).toBe(b);
    expect(new TextDecoder().decode(a?.[0]?.bytes)).toBe(secret);
  });

  it("a wipe during a load does not bring the wiped bytes back", async () => {
    await new SealedOutputVault({ stateDir, key: vaultKey() }).put(JOB, files());
    const restarted = new SealedOutputVault({ stateDir, key: vaultKey() });
    const loading = restarted.get(JOB);
    await restarted.wipe(JOB);
    const loaded = await loading;
    expect(loaded === undefined || loaded.every((f) => f.bytes.every((byte) => byte === 0))).toBe(true);
    expect(await restarted.get(JOB)).toBeUndefined();
  });

  it("a set waiting for a reviewer is approved and released after the Privacy Plane restarts", async () => {
    const { h, record } = await waitingForReviewer(new SealedOutputVault({ stateDir, key: vaultKey() }));
    expect(record.state).toBe("needs-review");

    // A new process: nothing in memory, the same state folder, chain and buckets.
    const restarted = new ReviewService({
      ...h.service.deps,
      store: new FileReviewStore(stateDir),
      vault: new SealedOutputVault({ stateDir, key: vaultKey() }),
    });
    const shown = await restarted.outputs(JOB);
    expect(shown?.map((f) => f.path)).toEqual(["table.csv"]);
    const released = await restarted.decide(
      await signedDecision({
        jobId: JOB,
        outputsCommitment: record.outputsCommitment,
        decision: "approve",
        deadline: Math.floor(h.clock.now.getTime() / 1000) + 600,
      }),
    );
    expect(released.state).toBe("released");
    const envelope = h.objects.objects.get(
      [...h.objects.objects.keys()].find((k) => k.endsWith("table.csv")) ?? "",
    );
    const plain = await openResultFile(
      h.consumer.privateKey,
      { jobId: JOB, datasetId: DATASET, path: "table.csv" },
      envelope ?? new Uint8Array(),
    );
    expect(new TextDecoder().decode(plain)).toBe(new TextDecoder().decode(FILES[0]!.bytes));
    expect(await readdir(join(stateDir, "output-vault"))).toEqual([]);
  });
});

describe("the sweeper and a set that cannot be opened", () => {
  it("wipes held sets no record needs, and keeps the ones waiting for a reviewer", async () => {
    const vault = new SealedOutputVault({ stateDir, key: vaultKey() });
    const { h } = await waitingForReviewer(vault);
    await vault.put(OTHER_JOB, files()); // e.g. left by a crash after its record went final
    expect((await vault.list()).sort()).toEqual([JOB, OTHER_JOB].sort());
    await h.service.sweep();
    expect(await vault.list()).toEqual([JOB]);
    expect(await readdir(join(stateDir, "output-vault"))).toEqual([`${JOB}.sealed`]);
  });

  it("error: an approved set whose sealed copy no longer opens fails the job instead of retrying forever", async () => {
    const { h, record } = await waitingForReviewer(new SealedOutputVault({ stateDir, key: vaultKey() }));
    // Restarted under another key root: the sealed set is there but cannot be opened.
    const restarted = new ReviewService({
      ...h.service.deps,
      store: new FileReviewStore(stateDir),
      vault: new SealedOutputVault({ stateDir, key: vaultKey(new Uint8Array(randomBytes(32))) }),
    });
    const decided = await restarted.decide(
      await signedDecision({
        jobId: JOB,
        outputsCommitment: record.outputsCommitment,
        decision: "approve",
        deadline: Math.floor(h.clock.now.getTime() / 1000) + 600,
      }),
    );
    expect(decided.state).toBe("failed");
    expect(decided.failure?.message).toBe("the outputs held for review could not be opened");
    expect(h.chain.records.at(-1)).toBe(`recordFailed(${JobFailureReason.Internal})`);
  });
});

describe("error: a sealed set that is not exactly what was held fails closed", () => {
  async function sealedPath(): Promise<string> {
    await new SealedOutputVault({ stateDir, key: vaultKey() }).put(JOB, files());
    return join(stateDir, "output-vault", `${JOB}.sealed`);
  }

  it("a flipped bit anywhere in the file", async () => {
    const path = await sealedPath();
    const bytes = await readFile(path);
    for (const at of [10, Math.floor(bytes.length / 2), bytes.length - 1]) {
      const tampered = Buffer.from(bytes);
      tampered[at]! ^= 0x01;
      await writeFile(path, tampered);
      await expect(new SealedOutputVault({ stateDir, key: vaultKey() }).get(JOB)).rejects.toMatchObject({
        code: "OUTPUT_VAULT_CORRUPT",
      });
    }
  });

  it("another job's sealed set copied under this job's name", async () => {
    const path = await sealedPath();
    await writeFile(join(stateDir, "output-vault", `${OTHER_JOB}.sealed`), await readFile(path));
    await expect(new SealedOutputVault({ stateDir, key: vaultKey() }).get(OTHER_JOB)).rejects.toMatchObject({
      code: "OUTPUT_VAULT_CORRUPT",
      message: expect.stringContaining("another job"),
    });
  });

  it("a set sealed under another key (another deployment's root)", async () => {
    await sealedPath();
    const other = vaultKey(new Uint8Array(randomBytes(32)));
    await expect(new SealedOutputVault({ stateDir, key: other }).get(JOB)).rejects.toMatchObject({
      code: "OUTPUT_VAULT_CORRUPT",
    });
  });

  it("a truncated file", async () => {
    const path = await sealedPath();
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 16));
    await expect(new SealedOutputVault({ stateDir, key: vaultKey() }).get(JOB)).rejects.toMatchObject({
      code: "OUTPUT_VAULT_CORRUPT",
    });
  });

  it("a well-sealed file whose listing does not fit its bytes", async () => {
    const good = encodeOutputSet(JOB, files());
    const cases: Uint8Array[] = [
      good.subarray(0, good.length - 1), // a file cut short
      Buffer.concat([good, Buffer.from([0])]), // bytes no file claims
      good.subarray(0, 3), // no listing length
      Buffer.concat([Buffer.from([0, 0, 0, 4]), Buffer.from("nope")]), // not JSON
    ];
    const path = await sealedPath();
    for (const plaintext of cases) {
      // Sealed under the right key: only the listing check can catch these.
      await writeFile(path, encryptBuffer(plaintext, { key: root, datasetId: OUTPUT_VAULT_KEY_ID }));
      await expect(new SealedOutputVault({ stateDir, key: vaultKey() }).get(JOB)).rejects.toMatchObject({
        code: "OUTPUT_VAULT_CORRUPT",
      });
    }
    expect(decodeOutputSet(JOB, good).map((f) => f.path)).toEqual(files().map((f) => f.path));
  });

  it("a malformed job id writes nothing and reads nothing", async () => {
    const vault = new SealedOutputVault({ stateDir, key: vaultKey() });
    for (const id of ["../../etc/passwd", `${JOB}x`, "0x12"]) {
      await expect(vault.put(id as Hex, files())).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
      await expect(vault.get(id)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    }
    expect(await readdir(stateDir)).toEqual([]);
  });
});
