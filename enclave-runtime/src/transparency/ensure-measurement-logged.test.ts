/**
 * ensureMeasurementLogged: a key release to a measurement that is not in the transparency log (as of
 * the head committed on-chain) is refused (runs in Node; the head comes from a fake chain here, from
 * anvil in cli/src/commands/audit.test.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { measurementId } from "@cce4long/protocol/chain/ids";
import { TransparencyLog } from "@cce4long/protocol/transparency/log";
import type { LogHead } from "@cce4long/protocol/transparency/proofs";
import { type Hex, keccak256, stringToBytes } from "viem";
import { afterAll, describe, expect, it } from "vitest";
import { denialReasonOf } from "../key-release/denial";
import { ensureMeasurementLogged, type MeasurementProofSource } from "./ensure-measurement-logged";
import { fileLogStore } from "./file-log-store";
import { storeProofSource } from "./log-sources";

const dir = mkdtempSync(join(tmpdir(), "cce4long-tlog-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const reg = (byte: string) => `0x${byte.repeat(96)}` as Hex;
const BUILD = measurementId(reg("1"), reg("2"), reg("3"), reg("4"));
const DEV = keccak256(stringToBytes("cce4long development measurement"));
const UNLOGGED = keccak256(stringToBytes("an image nobody logged"));
const entry = (id: Hex, origin: "build" | "development") => ({
  apiVersion: "cce4long.dev/transparency-entry/v1",
  kind: "vm-measurement",
  loggedAt: "2026-11-21T10:00:00Z",
  measurementId: id,
  origin,
});

let counter = 0;
async function setUp() {
  const store = fileLogStore(join(dir, `log-${counter++}.jsonl`));
  const log = await TransparencyLog.open(store);
  await log.append(entry(BUILD, "build"));
  await log.append(entry(DEV, "development"));
  const committed: { head: LogHead } = { head: log.head() };
  return {
    log,
    store,
    committed,
    head: { committedHead: async () => committed.head },
    source: storeProofSource(store),
  };
}

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ code: "KEY_RELEASE_DENIED", message: "Key release denied" });
  expect(denialReasonOf(error)).toBe("MEASUREMENT_NOT_LOGGED");
  return (error as { detail: { problem: string } }).detail.problem;
}

describe("ensureMeasurementLogged", () => {
  it("passes a logged measurement, proven against the on-chain head", async () => {
    const { head, source } = await setUp();
    const proven = await ensureMeasurementLogged({
      measurementId: BUILD,
      deployment: "production",
      head,
      log: source,
    });
    expect(proven.inclusion).toMatchObject({ leafIndex: 0, treeSize: 2 });
  });

  it("passes the development measurement in a development deployment", async () => {
    const { head, source } = await setUp();
    await expect(
      ensureMeasurementLogged({ measurementId: DEV, deployment: "development", head, log: source }),
    ).resolves.toBeDefined();
  });

  it("error: a measurement that is not in the log is refused", async () => {
    const { head, source } = await setUp();
    const problem = await refusal(
      ensureMeasurementLogged({ measurementId: UNLOGGED, deployment: "production", head, log: source }),
    );
    expect(problem).toBe("the measurement is not in the log");
  });

  it("error: a measurement appended after the committed head is refused until a head including it is committed", async () => {
    const { log, head, source, committed } = await setUp();
    await log.append(entry(UNLOGGED, "build"));
    expect(
      await refusal(
        ensureMeasurementLogged({ measurementId: UNLOGGED, deployment: "production", head, log: source }),
      ),
    ).toBe("the measurement is not in the log");
    committed.head = log.head();
    await expect(
      ensureMeasurementLogged({ measurementId: UNLOGGED, deployment: "production", head, log: source }),
    ).resolves.toMatchObject({ inclusion: { leafIndex: 2, treeSize: 3 } });
  });

  it("error: the development measurement is refused in production", async () => {
    const { head, source } = await setUp();
    expect(
      await refusal(
        ensureMeasurementLogged({ measurementId: DEV, deployment: "production", head, log: source }),
      ),
    ).toBe("a development measurement is refused outside development");
  });

  it("error: no head committed on-chain yet", async () => {
    const { source } = await setUp();
    const empty = { committedHead: async () => ({ treeSize: 0, rootHash: `0x${"0".repeat(64)}` as Hex }) };
    expect(
      await refusal(
        ensureMeasurementLogged({ measurementId: BUILD, deployment: "production", head: empty, log: source }),
      ),
    ).toBe("no transparency log head has been committed on-chain");
  });

  it("error: a log server that forges an entry for an unlogged measurement is caught by the proof", async () => {
    const { head, source } = await setUp();
    const forging: MeasurementProofSource = {
      async proveMeasurement(id, treeSize) {
        const real = (await source.proveMeasurement(BUILD, treeSize))!;
        return { ...real, entry: { ...real.entry, measurementId: id } as typeof real.entry };
      },
    };
    expect(
      await refusal(
        ensureMeasurementLogged({ measurementId: UNLOGGED, deployment: "production", head, log: forging }),
      ),
    ).toBe("the inclusion proof does not verify against the on-chain head");
  });

  it("error: a log server answering with another measurement's entry is refused", async () => {
    const { head, source } = await setUp();
    const wrong: MeasurementProofSource = {
      proveMeasurement: (_id, size) => source.proveMeasurement(BUILD, size),
    };
    expect(
      await refusal(
        ensureMeasurementLogged({ measurementId: UNLOGGED, deployment: "production", head, log: wrong }),
      ),
    ).toBe("the log answered with an entry for something else");
  });

  it("error: a rewritten log file (the head on-chain no longer matches) is refused", async () => {
    const { head, store, committed } = await setUp();
    const rewritten = await TransparencyLog.open(store);
    // A second log with the measurement at another position: same size on-chain, other root.
    const other = fileLogStore(join(dir, `rewritten-${counter++}.jsonl`));
    const fake = await TransparencyLog.open(other);
    await fake.append(entry(DEV, "development"));
    await fake.append(entry(BUILD, "build"));
    expect(fake.head().treeSize).toBe(committed.head.treeSize);
    expect(rewritten.head()).toEqual(committed.head);
    expect(
      await refusal(
        ensureMeasurementLogged({
          measurementId: BUILD,
          deployment: "production",
          head,
          log: storeProofSource(other),
        }),
      ),
    ).toBe("the inclusion proof does not verify against the on-chain head");
  });

  it("error: an unreadable chain or log refuses rather than allows", async () => {
    const { head, source } = await setUp();
    const down = { committedHead: async () => Promise.reject(new Error("rpc down")) };
    expect(
      await refusal(
        ensureMeasurementLogged({ measurementId: BUILD, deployment: "production", head: down, log: source }),
      ),
    ).toBe("the committed log head could not be read");
    const broken: MeasurementProofSource = {
      proveMeasurement: async () => Promise.reject(new Error("disk")),
    };
    expect(
      await refusal(
        ensureMeasurementLogged({ measurementId: BUILD, deployment: "production", head, log: broken }),
      ),
    ).toBe("the transparency log could not be read");
  });
});
