/**
 * Garbage collection of abandoned staging (runs inside the TEE, beside ingest): upload sessions that
 * were never completed, or whose ingest failed permanently, leave envelopes and unfinished multipart
 * uploads in the staging bucket. Once such a session is past its expiry (plus a grace period), the
 * sweeper aborts its multipart uploads and deletes its staged objects; an abandoned session's record
 * goes too, a failed one's stays (the edge API answers its status from it). A session that is open,
 * queued, ingesting or committed is never touched, and anything it cannot read is kept (fail closed).
 * A completed session past its expiry with nothing left staged (committed and cleaned by ingest, or
 * failed and swept) gets a marker, and later runs skip it without reading anything of it: session
 * records are kept for status answers, so without the marker every run would read every session ever
 * completed. Logs counts and upload ids only. Production also has bucket lifecycle rules as a backstop
 * (docs/dataset-manifest.md, "Staging garbage collection").
 */
import {
  IngestStatusRecordSchema,
  UPLOAD_KEYS,
  type UploadSessionRecord,
  UploadSessionRecordSchema,
} from "@cce4long/protocol";
import type { ObjectLister, ObjectStore } from "./object-store";

export interface StagingSweeperDeps {
  store: ObjectStore & ObjectLister;
  buckets: { staging: string; datasets: string };
  now(): Date;
  /** Seconds after a session's expiry before it may be swept. */
  graceSeconds: number;
  log(event: string, fields: Record<string, unknown>): void;
}

export interface SweepCounts {
  sessions: number;
  swept: number;
  objectsDeleted: number;
  multipartAborted: number;
  /** Sessions whose record or status could not be read: kept, counted, logged by upload id. */
  unreadable: number;
  /** Sessions skipped because an earlier run marked them done (nothing of them read). */
  alreadyDone: number;
  /** Sessions marked done in this run. */
  markedDone: number;
}

const SESSION_KEY = /^sessions\/([0-9a-f]{32})\.json$/;
const SWEPT_KEY = /^swept\/([0-9a-f]{32})$/;

/** "done": completed, expired, nothing staged: nothing will ever be staged for it again. */
type Verdict = "keep" | "abandoned" | "failed" | "done";

export async function sweepStaging(deps: StagingSweeperDeps): Promise<SweepCounts> {
  const counts: SweepCounts = {
    sessions: 0,
    swept: 0,
    objectsDeleted: 0,
    multipartAborted: 0,
    unreadable: 0,
    alreadyDone: 0,
    markedDone: 0,
  };
  const cutoff = deps.now().getTime() - deps.graceSeconds * 1000;
  const done = new Set<string>();
  for (const key of await deps.store.list(deps.buckets.staging, UPLOAD_KEYS.sweptPrefix)) {
    const uploadId = SWEPT_KEY.exec(key)?.[1];
    if (uploadId !== undefined) done.add(uploadId);
  }
  for (const key of await deps.store.list(deps.buckets.staging, UPLOAD_KEYS.sessionsPrefix)) {
    const uploadId = SESSION_KEY.exec(key)?.[1];
    if (uploadId === undefined) continue;
    counts.sessions++;
    if (done.has(uploadId)) {
      counts.alreadyDone++;
      continue;
    }
    try {
      const session = await readSession(deps, key);
      if (session === null || session.uploadId !== uploadId) {
        counts.unreadable++;
        deps.log("staging.sweep-skipped", { uploadId, reason: "unreadable session record" });
        continue;
      }
      const verdict = await judge(deps, session, cutoff);
      if (verdict === "keep") continue;
      if (verdict !== "done") {
        const swept = await sweepSession(deps, session, verdict);
        counts.objectsDeleted += swept.objects;
        counts.multipartAborted += swept.multipart;
        if (swept.objects + swept.multipart > 0 || verdict === "abandoned") {
          counts.swept++;
          deps.log("staging.swept", { uploadId, reason: verdict, ...swept });
        }
      }
      // Last, once its staging is gone: a run that stops before this finds the session again.
      if (verdict !== "abandoned") {
        await deps.store.put(deps.buckets.staging, UPLOAD_KEYS.swept(uploadId), new Uint8Array(0));
        counts.markedDone++;
      }
    } catch (error) {
      // One session's store error must not stop the sweep; it is retried on the next run.
      counts.unreadable++;
      deps.log("staging.sweep-failed", {
        uploadId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  deps.log("staging.sweep-done", { ...counts });
  return counts;
}

/** Only expired sessions that were never completed, or whose ingest failed permanently. */
async function judge(
  deps: StagingSweeperDeps,
  session: UploadSessionRecord,
  cutoff: number,
): Promise<Verdict> {
  const expiresAt = Date.parse(session.expiresAt);
  if (!Number.isFinite(expiresAt) || expiresAt > cutoff) return "keep";
  if (session.completedAt === null) return "abandoned";
  // Completed: only a recorded permanent failure releases the staging; queued or ingesting keeps it.
  const staged = await deps.store.list(
    deps.buckets.staging,
    UPLOAD_KEYS.stagedPrefix(session.datasetId, session.uploadId),
  );
  // Nothing staged and past expiry (its presigned URLs with it): nothing can be staged again.
  if (staged.length === 0) return "done";
  const bytes = await deps.store.getBytes(
    deps.buckets.datasets,
    UPLOAD_KEYS.status(session.datasetId, session.uploadId),
  );
  if (bytes === null) return "keep";
  const status = IngestStatusRecordSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
  return status.success && status.data.state === "failed" ? "failed" : "keep";
}

async function sweepSession(
  deps: StagingSweeperDeps,
  session: UploadSessionRecord,
  verdict: "abandoned" | "failed",
): Promise<{ objects: number; multipart: number }> {
  let multipart = 0;
  if (verdict === "abandoned") {
    for (const file of session.files) {
      if (file.multipartUploadId === null) continue;
      await deps.store.abortMultipart(deps.buckets.staging, file.objectKey, file.multipartUploadId);
      multipart++;
    }
  }
  // Everything under the session's own prefix, not only the keys the record names.
  const staged = await deps.store.list(
    deps.buckets.staging,
    UPLOAD_KEYS.stagedPrefix(session.datasetId, session.uploadId),
  );
  for (const key of staged) await deps.store.delete(deps.buckets.staging, key);
  // The record last: if the sweep stops midway, the next run still finds the session.
  if (verdict === "abandoned")
    await deps.store.delete(deps.buckets.staging, UPLOAD_KEYS.session(session.uploadId));
  return { objects: staged.length, multipart };
}

async function readSession(deps: StagingSweeperDeps, key: string): Promise<UploadSessionRecord | null> {
  const bytes = await deps.store.getBytes(deps.buckets.staging, key);
  if (bytes === null) return null;
  try {
    const parsed = UploadSessionRecordSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export interface StagingSweeper {
  stop(): Promise<void>;
}

/** Sweeps once now, then every `intervalSeconds`; runs never overlap; errors are logged, never thrown. */
export function startStagingSweeper(deps: StagingSweeperDeps, intervalSeconds: number): StagingSweeper {
  let running: Promise<void> | undefined;
  const run = () => {
    if (running !== undefined) return;
    running = sweepStaging(deps)
      .then(() => undefined)
      .catch((error: unknown) =>
        deps.log("staging.sweep-failed", { error: error instanceof Error ? error.message : String(error) }),
      )
      .finally(() => {
        running = undefined;
      });
  };
  run();
  const timer = setInterval(run, intervalSeconds * 1000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
