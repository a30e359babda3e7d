/**
 * The staging sweeper against the real local object store (s3rver behind the SigV4 front, started on a
 * free port): expired never-completed sessions lose their envelopes, their unfinished multipart uploads
 * and their record; a permanently failed ingest loses its envelopes; open, queued, ingesting, committed
 * and just-expired sessions keep everything. Completed sessions left with nothing staged are marked
 * done, and later runs read nothing of them (the work per run follows the sessions still staged).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type IngestStatusRecord, UPLOAD_KEYS, type UploadSessionRecord } from "@cce4long/protocol";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningObjectStore, startObjectStore } from "../../../platform/src/object-store/server";
import { freePort } from "../../../platform/src/ports";
import { type ObjectLister, type ObjectStore, S3ObjectStore } from "./object-store";
import { type StagingSweeperDeps, sweepStaging } from "./staging-sweeper";

const credentials = { accessKeyId: "sweeper-test", secretAccessKey: "sweeper-test-secret-0123456789" };
const DATASET = `0x${"5a".repeat(32)}` as const;
const NOW = Date.parse("2026-12-04T12:00:00.000Z");
const HOUR = 3_600_000;
const MiB = 1024 * 1024;
let running: RunningObjectStore;
let dir: string;
let store: S3ObjectStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cce4long-sweeper-"));
  running = await startObjectStore({
    port: await freePort(),
    directory: dir,
    credentials: [credentials],
    buckets: [BUCKETS.staging, BUCKETS.datasets],
  });
  store = new S3ObjectStore({ endpoint: running.endpoint, region: "us-east-1", ...credentials });
});
afterAll(async () => {
  await running?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Staged {
  session: UploadSessionRecord;
}

let counter = 0;
/** A session with one envelope PUT (file 0) and one multipart upload with one part sent (file 1). */
async function stage(options: {
  expiredHoursAgo: number;
  completed: boolean;
  status?: IngestStatusRecord["state"];
}): Promise<Staged> {
  const uploadId = (++counter).toString(16).padStart(32, "0");
  const expiresAt = new Date(NOW - options.expiredHoursAgo * HOUR).toISOString();
  const single = UPLOAD_KEYS.staged(DATASET, uploadId, 0);
  const multi = UPLOAD_KEYS.staged(DATASET, uploadId, 1);
  await store.put(BUCKETS.staging, single, new Uint8Array(1000).fill(7));
  const multipartUploadId = await store.createMultipart(BUCKETS.staging, multi);
  await store.uploadPart(BUCKETS.staging, multi, multipartUploadId, 1, new Uint8Array(1024));
  const session: UploadSessionRecord = {
    uploadId,
    datasetId: DATASET,
    provider: `0x${"ab".repeat(20)}`,
    createdAt: new Date(Date.parse(expiresAt) - 24 * HOUR).toISOString(),
    expiresAt,
    completedAt: options.completed ? new Date(Date.parse(expiresAt) - 23 * HOUR).toISOString() : null,
    files: [
      { index: 0, path: "a.csv", size: 1000, objectKey: single, multipartUploadId: null, partSize: null },
      { index: 1, path: "b.bin", size: 70 * MiB, objectKey: multi, multipartUploadId, partSize: 64 * MiB },
    ],
    authorization: null,
  };
  await store.put(BUCKETS.staging, UPLOAD_KEYS.session(uploadId), json(session));
  if (options.status !== undefined) {
    const status: IngestStatusRecord = {
      uploadId,
      datasetId: DATASET,
      state: options.status,
      updatedAt: new Date(NOW - HOUR).toISOString(),
      version: null,
      manifestRoot: null,
      transactionHash: null,
      error: options.status === "failed" ? { code: "UPLOAD_ENVELOPE_INVALID", message: "bad" } : null,
    };
    await store.put(BUCKETS.datasets, UPLOAD_KEYS.status(DATASET, uploadId), json(status));
  }
  return { session };
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

async function stagedKeys(session: UploadSessionRecord): Promise<string[]> {
  return store.list(BUCKETS.staging, UPLOAD_KEYS.stagedPrefix(session.datasetId, session.uploadId));
}

/**
 * Whether the multipart upload of file 1 still exists in the local store: its folder of parts on disk
 * (asking through S3 is no good: s3rver recreates the folder on a part upload and stalls on completion).
 */
function multipartAlive({ session }: Staged): boolean {
  const id = session.files[1]!.multipartUploadId!;
  return existsSync(join(dir, "objects", BUCKETS.staging, "._S3rver_uploads", id));
}

describe("sweepStaging against the local S3 stand-in", () => {
  it("sweeps only expired abandoned or permanently failed sessions, and logs only counts and ids", async () => {
    const abandoned = await stage({ expiredHoursAgo: 3, completed: false });
    const failed = await stage({ expiredHoursAgo: 3, completed: true, status: "failed" });
    const open = await stage({ expiredHoursAgo: -20, completed: false });
    const withinGrace = await stage({ expiredHoursAgo: 0.5, completed: false });
    const queued = await stage({ expiredHoursAgo: 3, completed: true });
    const ingesting = await stage({ expiredHoursAgo: 3, completed: true, status: "ingesting" });
    const committed = await stage({ expiredHoursAgo: 3, completed: true, status: "committed" });
    await store.put(BUCKETS.staging, "sessions/not-a-session.txt", json({}));
    await store.put(BUCKETS.staging, UPLOAD_KEYS.session("f".repeat(32)), new TextEncoder().encode("{"));

    const logs: { event: string; fields: Record<string, unknown> }[] = [];
    const counts = await sweepStaging({
      store,
      buckets: { staging: BUCKETS.staging, datasets: BUCKETS.datasets },
      now: () => new Date(NOW),
      graceSeconds: 3600,
      log: (event, fields) => logs.push({ event, fields }),
    });

    expect(counts).toEqual({
      sessions: 8,
      swept: 2,
      objectsDeleted: 2,
      multipartAborted: 1,
      unreadable: 1,
      alreadyDone: 0,
      markedDone: 1, // the failed session, now that its envelopes are gone
    });
    // Abandoned: envelopes, the unfinished multipart upload and the record are gone.
    expect(await stagedKeys(abandoned.session)).toEqual([]);
    expect(multipartAlive(abandoned)).toBe(false);
    expect(await store.head(BUCKETS.staging, UPLOAD_KEYS.session(abandoned.session.uploadId))).toBeNull();
    // Failed: envelopes gone, the record stays for its status.
    expect(await stagedKeys(failed.session)).toEqual([]);
    expect(await store.head(BUCKETS.staging, UPLOAD_KEYS.session(failed.session.uploadId))).not.toBeNull();
    // Everything else keeps its envelopes and its multipart upload.
    for (const kept of [open, withinGrace, queued, ingesting, committed]) {
      expect(await stagedKeys(kept.session), kept.session.uploadId).toEqual([
        kept.session.files[0]!.objectKey,
      ]);
      expect(await store.head(BUCKETS.staging, UPLOAD_KEYS.session(kept.session.uploadId))).not.toBeNull();
    }
    for (const kept of [open, withinGrace]) expect(multipartAlive(kept)).toBe(true);
    // The unreadable record is kept, and named only by its id.
    expect(await store.head(BUCKETS.staging, UPLOAD_KEYS.session("f".repeat(32)))).not.toBeNull();
    expect(logs.map((l) => l.event)).toEqual([
      "staging.swept",
      "staging.swept",
      "staging.sweep-skipped",
      "staging.sweep-done",
    ]);
    const logged = JSON.stringify(logs);
    expect(logged).not.toContain(credentials.secretAccessKey);
    expect(logged).not.toContain("a.csv");

    // A second run finds nothing more to do.
    const again = await sweepStaging({
      store,
      buckets: { staging: BUCKETS.staging, datasets: BUCKETS.datasets },
      now: () => new Date(NOW),
      graceSeconds: 3600,
      log: () => {},
    });
    expect(again).toMatchObject({ swept: 0, objectsDeleted: 0, multipartAborted: 0, alreadyDone: 1 });
  });

  it("marks completed sessions with nothing staged done, and reads nothing of them again", async () => {
    // Committed and cleaned by ingest (its envelopes deleted after the commit), and failed then swept.
    const cleaned = await stage({ expiredHoursAgo: 5, completed: true, status: "committed" });
    for (const key of await stagedKeys(cleaned.session)) await store.delete(BUCKETS.staging, key);
    const failed = await stage({ expiredHoursAgo: 5, completed: true, status: "failed" });
    const queued = await stage({ expiredHoursAgo: 5, completed: true });
    const fresh = await stage({ expiredHoursAgo: 0.2, completed: true, status: "committed" });
    for (const key of await stagedKeys(fresh.session)) await store.delete(BUCKETS.staging, key);
    const ids = (...staged: Staged[]) => staged.map((s) => s.session.uploadId);

    const first = recording(store);
    const counts = await sweepStaging(sweeperDeps(first.store));
    expect(counts.markedDone).toBeGreaterThanOrEqual(2);
    for (const id of ids(cleaned, failed)) {
      expect(await store.head(BUCKETS.staging, UPLOAD_KEYS.swept(id))).toBe(0);
      expect(first.touched(id)).toBe(true);
    }
    // Still staged (queued), or not expired yet: not marked.
    for (const id of ids(queued, fresh))
      expect(await store.head(BUCKETS.staging, UPLOAD_KEYS.swept(id))).toBeNull();

    const second = recording(store);
    const again = await sweepStaging(sweeperDeps(second.store));
    expect(again.alreadyDone).toBe(counts.alreadyDone + counts.markedDone);
    expect(again.markedDone).toBe(0);
    for (const id of ids(cleaned, failed)) expect(second.touched(id), id).toBe(false);
    // The others are still looked at each run; their records and statuses stay.
    for (const id of ids(queued, fresh)) expect(second.touched(id), id).toBe(true);
    expect(await store.head(BUCKETS.staging, UPLOAD_KEYS.session(cleaned.session.uploadId))).not.toBeNull();
    expect(await stagedKeys(queued.session)).toHaveLength(1);
    // Two listings per run whatever the number of done sessions; reads only for the sessions not done.
    expect(second.calls.filter((c) => c.startsWith("list ") && !c.includes(DATASET))).toEqual([
      `list ${BUCKETS.staging} ${UPLOAD_KEYS.sweptPrefix}`,
      `list ${BUCKETS.staging} ${UPLOAD_KEYS.sessionsPrefix}`,
    ]);
    // At most a record and a status read per session not done.
    expect(second.calls.filter((c) => c.startsWith("getBytes ")).length).toBeLessThanOrEqual(
      2 * (again.sessions - again.alreadyDone),
    );
  });

  it("lists past one page of keys", async () => {
    const paged = new S3ObjectStore({
      endpoint: running.endpoint,
      region: "us-east-1",
      ...credentials,
      listPageSize: 2,
    });
    const prefix = "many/";
    for (let i = 0; i < 5; i++) await store.put(BUCKETS.staging, `${prefix}${i}`, new Uint8Array(1));
    expect(await paged.list(BUCKETS.staging, prefix)).toEqual([0, 1, 2, 3, 4].map((i) => `${prefix}${i}`));
    expect(await paged.list(BUCKETS.staging, "none/")).toEqual([]);
  });
});

function sweeperDeps(s: StagingSweeperDeps["store"]): StagingSweeperDeps {
  return {
    store: s,
    buckets: { staging: BUCKETS.staging, datasets: BUCKETS.datasets },
    now: () => new Date(NOW),
    graceSeconds: 3600,
    log: () => {},
  };
}

/** The store, with every call written down as "method bucket key". */
function recording(inner: ObjectStore & ObjectLister) {
  const calls: string[] = [];
  const wrapped = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.push([String(property), ...args.filter((a) => typeof a === "string")].join(" "));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: wrapped, calls, touched: (uploadId: string) => calls.some((c) => c.includes(uploadId)) };
}
