/**
 * Tests of the transparency log over a store and of the client checks on what a log server returns
 * (runs in Node): entries, proofs against a head, and tampered stores and answers.
 */
import { type Hex, keccak256, stringToBytes } from "viem";
import { describe, expect, it } from "vitest";
import { measurementId } from "../chain/ids";
import { memoryLogStore, TransparencyLog } from "./log";
import { parseTransparencyEntry, transparencyEntryBytes } from "./log-entry";
import { type LogHead, parseEntryWithProof, verifyEntryInHead, verifyHeadExtends } from "./proofs";

const AT = "2026-11-21T10:00:00Z";
const reg = (byte: string) => `0x${byte.repeat(96)}` as Hex;
const MEASUREMENT = measurementId(reg("1"), reg("2"), reg("3"), reg("4"));
const OTHER_MEASUREMENT = keccak256(stringToBytes("another image"));

const release = {
  apiVersion: "cce4long.dev/transparency-entry/v1",
  kind: "privacy-plane-release",
  loggedAt: AT,
  version: "0.1.0",
  buildCommit: "a".repeat(40),
  bundleSha256: "b".repeat(64),
  scanWorkerBundleSha256: "c".repeat(64),
};
const vm = {
  apiVersion: "cce4long.dev/transparency-entry/v1",
  kind: "vm-measurement",
  loggedAt: AT,
  measurementId: MEASUREMENT,
  origin: "build",
  machineType: "c3-standard-4",
  registers: { mrtd: reg("1"), rtmr0: reg("2"), rtmr1: reg("3"), rtmr2: reg("4") },
};
const algorithm = {
  apiVersion: "cce4long.dev/transparency-entry/v1",
  kind: "algorithm-image",
  loggedAt: AT,
  imageDigest: `sha256:${"c".repeat(64)}`,
};

async function populatedLog() {
  const store = memoryLogStore();
  const log = await TransparencyLog.open(store);
  await log.append(release);
  await log.append(vm);
  await log.append(algorithm);
  return { store, log };
}

describe("TransparencyLog", () => {
  it("appends entries and proves a measurement against the head", async () => {
    const { log } = await populatedLog();
    const head = log.head();
    expect(head.treeSize).toBe(3);
    const proven = log.proveMeasurement(MEASUREMENT)!;
    expect(proven.inclusion.leafIndex).toBe(1);
    expect(() => verifyEntryInHead(head, proven, "the measurement")).not.toThrow();
    // What a remote client does with the JSON it receives.
    const received = parseEntryWithProof(JSON.parse(JSON.stringify(proven)));
    expect(() => verifyEntryInHead(head, received, "the measurement")).not.toThrow();
    expect(log.proveAlgorithmImage(algorithm.imageDigest)?.inclusion.leafIndex).toBe(2);
  });

  it("has no proof for a measurement that was never logged, or only logged after the head", async () => {
    const { log } = await populatedLog();
    expect(log.proveMeasurement(OTHER_MEASUREMENT)).toBeUndefined();
    expect(log.proveMeasurement(MEASUREMENT, 1)).toBeUndefined();
  });

  it("reopens from its store with the same head, and the old head is consistent with later ones", async () => {
    const { store, log } = await populatedLog();
    const first = log.head();
    const reopened = await TransparencyLog.open(store);
    expect(reopened.head()).toEqual(first);
    await reopened.append({
      ...vm,
      measurementId: OTHER_MEASUREMENT,
      registers: undefined,
      origin: "development",
    });
    expect(() =>
      verifyHeadExtends(first, reopened.head(), reopened.proveConsistency(first.treeSize)),
    ).not.toThrow();
  });

  it("error: a store whose leaf was changed gives another root; its proofs fail against the committed head", async () => {
    const { store, log } = await populatedLog();
    const committed = log.head();
    store.leaves[0] = transparencyEntryBytes({ ...release, bundleSha256: "e".repeat(64) });
    const tampered = await TransparencyLog.open(store);
    expect(tampered.head().rootHash).not.toBe(committed.rootHash);
    expect(() => verifyEntryInHead(committed, tampered.proveMeasurement(MEASUREMENT)!, "m")).toThrow(
      expect.objectContaining({ code: "TRANSPARENCY_PROOF_INVALID" }) as Error,
    );
  });

  it("error: a store with reordered leaves fails against the committed head", async () => {
    const { store, log } = await populatedLog();
    const committed = log.head();
    [store.leaves[0], store.leaves[1]] = [store.leaves[1]!, store.leaves[0]!];
    const reordered = await TransparencyLog.open(store);
    expect(() => verifyEntryInHead(committed, reordered.proveMeasurement(MEASUREMENT)!, "m")).toThrow(
      /does not verify/,
    );
  });

  it("error: a truncated store cannot prove against the committed head", async () => {
    const { store, log } = await populatedLog();
    const committed = log.head();
    store.leaves.pop();
    const truncated = await TransparencyLog.open(store);
    expect(() => verifyEntryInHead(committed, truncated.proveMeasurement(MEASUREMENT)!, "m")).toThrow(
      /another log size/,
    );
  });

  it("error: a forked head (other leaves after a shared prefix) does not extend the committed head", async () => {
    const { log } = await populatedLog();
    const committed = log.head();
    const fork = await TransparencyLog.open(memoryLogStore());
    await fork.append(release);
    await fork.append(vm);
    await fork.append({ ...algorithm, imageDigest: `sha256:${"d".repeat(64)}` });
    await fork.append(algorithm);
    expect(() => verifyHeadExtends(committed, fork.head(), fork.proveConsistency(3))).toThrow(
      /not consistent/,
    );
    const sameSize: LogHead = fork.head(3);
    expect(() => verifyHeadExtends(committed, sameSize, fork.proveConsistency(3, 3))).toThrow(
      /not consistent/,
    );
  });

  it("error: an entry swapped in a server's answer does not verify", async () => {
    const { log } = await populatedLog();
    const proven = log.proveMeasurement(MEASUREMENT)!;
    const swapped = { ...proven, entry: parseTransparencyEntry({ ...vm, machineType: "c3-standard-8" }) };
    expect(() => verifyEntryInHead(log.head(), swapped, "m")).toThrow(/does not verify/);
  });

  it("error: a non-canonical or invalid stored leaf is refused when opening", async () => {
    const pretty = new TextEncoder().encode(JSON.stringify(parseTransparencyEntry(release), null, 2));
    await expect(TransparencyLog.open(memoryLogStore([pretty]))).rejects.toMatchObject({
      code: "TRANSPARENCY_LOG_INVALID",
      message: "transparency log leaf 0 is not a valid entry",
    });
  });

  it("error: a Privacy Plane release that does not name its scan worker's bundle is refused", async () => {
    const { scanWorkerBundleSha256: _, ...withoutWorker } = release;
    expect(() => parseTransparencyEntry(withoutWorker)).toThrow(/scanWorkerBundleSha256/);
    const log = await TransparencyLog.open(memoryLogStore());
    await expect(log.append(withoutWorker as never)).rejects.toThrow(/scanWorkerBundleSha256/);
    expect(log.size).toBe(0);
  });

  it("error: an entry whose measurement id does not match its registers is refused", async () => {
    const log = await TransparencyLog.open(memoryLogStore());
    await expect(log.append({ ...vm, measurementId: OTHER_MEASUREMENT })).rejects.toThrow(
      "measurementId: does not match its registers",
    );
    expect(log.size).toBe(0);
  });

  it("error: an append racing another writer is refused by the store", async () => {
    const store = memoryLogStore();
    const a = await TransparencyLog.open(store);
    const b = await TransparencyLog.open(store);
    await a.append(release);
    await expect(b.append(algorithm)).rejects.toMatchObject({ code: "CONFLICT" });
    expect(b.size).toBe(0);
  });
});
