/**
 * Explore Mode sessions (runs inside the TEE): checks the chain, records "opened", prepares a fresh
 * sandbox (the sample's ciphertext staged, decrypted through the read-only FUSE, Jupyter in bubblewrap on
 * a unix socket), enforces the time limit, and tears everything down (kill, unmount, delete, record
 * "closed"). Exports go through the Output Gate; those it holds for review go to the reviewers' queue
 * (review-service.ts). Sessions live in this process's memory only.
 */

import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { type DecryptingMount, mountDecrypting } from "@cce4long/cvm-image/fuse/decrypting-fs";
import {
  Cce4longError,
  ExploreCloseReason as CloseReason,
  type ExploreCloseReason,
} from "@cce4long/protocol";
import type { DatasetManifest } from "@cce4long/protocol/datasets/manifest";
import type { GatePolicy } from "@cce4long/protocol/gate/policy";
import type { GateReport } from "@cce4long/protocol/gate/report";
import type { DeclaredOutput } from "@cce4long/protocol/jobs/declared-outputs";
import type { DatasetKey } from "@cce4long/sealing/keys/types";
import type { Address, Hex } from "viem";
import { checkOutputs } from "../../gate/check-outputs";
import type { FingerprintIndex } from "../../gate/fingerprints/fingerprint-index";
import { holdForReview, POLICY_ROLLED_BACK } from "../../review/gate-runner";
import type { ReviewRecord } from "../../review/record";
import type { ReviewService } from "../../review/review-service";
import { accessTokenMatches, hashAccessToken, newAccessToken } from "./access-token";
import type { ExploreChain } from "./explore-chain";
import { readExportFile } from "./export-file";
import { type RunningJupyter, startJupyter } from "./jupyter-sandbox";
import type { SampleSource } from "./sample-source";

export interface ExploreSessionsDeps {
  chain: ExploreChain;
  samples: SampleSource;
  keys: { keyForRead(datasetId: string, version: number): Promise<DatasetKey> };
  /**
   * The Output Gate's policy and the fingerprint index of the version the session's sample came from
   * (its manifest, already verified at open), for exports.
   */
  gateFor(
    datasetId: Hex,
    sample: { version: number; manifest: DatasetManifest },
  ): Promise<{
    policy: GatePolicy;
    fingerprints: FingerprintIndex;
    policyRolledBack?: boolean;
  }>;
  /** Where exports the gate holds for review go (review-service.ts); without it they are only held back. */
  reviews?: Pick<ReviewService, "acceptExploreExport">;
  /** Parent folder of the sessions' folders (ciphertext, mountpoint, notebook folder). */
  stateDir: string;
  sessionSeconds: number;
  maxSessions: number;
  jupyterBin: string;
  log(event: string, fields: Record<string, unknown>): void;
}

export interface OpenedSession {
  sessionId: Hex;
  datasetId: Hex;
  consumer: Address;
  freePreview: boolean;
  /** Given once: the consumer's key to this session. */
  accessToken: string;
  /** Path of the notebook on the Privacy Plane (append to its public URL). */
  jupyterPath: string;
  openedAt: string;
  expiresAt: string;
  startMs: number;
}

export interface ExportResult {
  report: GateReport;
  released: boolean;
  /** The file, when the gate approved it automatically. */
  content?: Uint8Array;
  /** The review item, when the gate held the file for review. */
  review?: ReviewRecord;
}

interface Session {
  id: Hex;
  datasetId: Hex;
  consumer: Address;
  freePreview: boolean;
  expiresAt: Date;
  tokenHash: Buffer;
  internalToken: string;
  dir: string;
  workDir: string;
  /** The dataset version whose sample the session shows: its exports are checked and recorded for it. */
  version: number;
  manifest: DatasetManifest;
  jupyter: RunningJupyter;
  mount: DecryptingMount;
  timer: NodeJS.Timeout;
  closing?: Promise<void>;
}

interface Prepared {
  /** The dataset version whose sample the session shows. */
  version: number;
  manifest: DatasetManifest;
  jupyter: RunningJupyter;
  mount: DecryptingMount;
  internalToken: string;
  workDir: string;
}

export const JUPYTER_PATH_PREFIX = "/v1/explore/sessions";
export const jupyterBaseUrl = (sessionId: string) => `${JUPYTER_PATH_PREFIX}/${sessionId}/jupyter/`;

export class ExploreSessions {
  readonly #sessions = new Map<string, Session>();
  #starting = 0;

  constructor(private readonly deps: ExploreSessionsDeps) {}

  async open(consumer: Address, datasetId: Hex): Promise<OpenedSession> {
    const started = performance.now();
    const freePreview = await this.#ensureAccess(consumer, datasetId);
    if (this.#sessions.size + this.#starting >= this.deps.maxSessions) {
      throw new Cce4longError("UNAVAILABLE", "Too many Explore sessions are running; try again later");
    }
    this.#starting++;
    const id = `0x${randomBytes(32).toString("hex")}` as Hex;
    const accessToken = newAccessToken();
    const dir = await mkdtemp(join(this.deps.stateDir, "session-"));
    let recorded = false;
    let prepared: Prepared | undefined;
    try {
      // The chain record and the sandbox are prepared together; access is given only once both are done,
      // and both are settled before anything is undone (a record still in flight is then closed too).
      const [record, preparation] = await Promise.allSettled([
        this.deps.chain.recordOpened(datasetId, id, consumer),
        this.prepare(id, datasetId, dir),
      ]);
      recorded = record.status === "fulfilled";
      if (preparation.status === "fulfilled") prepared = preparation.value;
      if (record.status === "rejected") throw record.reason;
      if (preparation.status === "rejected") throw preparation.reason;
      const sandbox = preparation.value;
      const expiresAt = new Date(Date.now() + this.deps.sessionSeconds * 1000);
      const session: Session = {
        id,
        datasetId,
        consumer,
        freePreview,
        expiresAt,
        tokenHash: hashAccessToken(accessToken),
        dir,
        ...sandbox,
        timer: setTimeout(() => void this.close(id, CloseReason.TimeLimit), this.deps.sessionSeconds * 1000),
      };
      session.timer.unref();
      this.#sessions.set(id, session);
      void sandbox.jupyter.exited.then(() => {
        if (this.#sessions.get(id) === session && session.closing === undefined) {
          this.deps.log("explore.session.server_exited", { sessionId: id });
          void this.close(id, CloseReason.Error);
        }
      });
      const startMs = Math.round(performance.now() - started);
      this.deps.log("explore.session.opened", { sessionId: id, datasetId, consumer, freePreview, startMs });
      return {
        sessionId: id,
        datasetId,
        consumer,
        freePreview,
        accessToken,
        jupyterPath: jupyterBaseUrl(id),
        openedAt: new Date().toISOString(),
        expiresAt: expiresAt.toISOString(),
        startMs,
      };
    } catch (error) {
      await this.#teardown({ dir, jupyter: prepared?.jupyter, mount: prepared?.mount });
      if (recorded) await this.deps.chain.recordClosed(datasetId, id, CloseReason.Error).catch(() => {});
      throw error;
    } finally {
      this.#starting--;
    }
  }

  /** The session if `token` is its access token; AUTH_INVALID for anything else (unknown id included). */
  authorize(sessionId: string, token: string | undefined): Session {
    const session = this.#sessions.get(sessionId);
    if (
      session === undefined ||
      session.closing !== undefined ||
      !accessTokenMatches(token, session.tokenHash)
    ) {
      throw new Cce4longError("AUTH_INVALID", "Not a valid token for this Explore session");
    }
    return session;
  }

  /** The session if it belongs to `consumer` (edge-authenticated calls). */
  ownedBy(sessionId: string, consumer: string): Session {
    const session = this.#sessions.get(sessionId);
    if (session === undefined || session.consumer.toLowerCase() !== consumer.toLowerCase()) {
      throw new Cce4longError("NOT_FOUND", "No such Explore session");
    }
    return session;
  }

  socketOf(session: Session): { socketPath: string; internalToken: string } {
    return { socketPath: session.jupyter.socketPath, internalToken: session.internalToken };
  }

  describe(session: Session) {
    return {
      sessionId: session.id,
      datasetId: session.datasetId,
      consumer: session.consumer,
      freePreview: session.freePreview,
      jupyterPath: jupyterBaseUrl(session.id),
      expiresAt: session.expiresAt.toISOString(),
    };
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Tears the session down and records "closed" with `reason`. Idempotent. */
  close(sessionId: string, reason: ExploreCloseReason = CloseReason.ClosedByConsumer): Promise<void> {
    const session = this.#sessions.get(sessionId);
    if (session === undefined) return Promise.resolve();
    session.closing ??= (async () => {
      clearTimeout(session.timer);
      await this.#teardown(session);
      this.#sessions.delete(sessionId);
      await this.deps.chain.recordClosed(session.datasetId, session.id, reason).catch((error: unknown) => {
        this.deps.log("explore.session.close_record_failed", { sessionId, error: String(error) });
      });
      this.deps.log("explore.session.closed", { sessionId, reason });
    })();
    return session.closing;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#sessions.keys()].map((id) => this.close(id, CloseReason.Error)));
  }

  /**
   * Sends one file of the notebook folder through the Output Gate: auto-approved, its bytes come back;
   * rejected, nothing leaves; held for review, it becomes a review item (encrypted to `resultPublicKey`
   * once a reviewer approves), which needs that key before anything is recorded.
   */
  async exportFile(session: Session, declared: DeclaredOutput, resultPublicKey?: Hex): Promise<ExportResult> {
    const gate = await this.deps.gateFor(session.datasetId, session);
    const bytes = await readExportFile(session.workDir, declared.path, gate.policy.limits.maxFileBytes);
    const checked = await checkOutputs({
      files: [{ path: declared.path, bytes }],
      declared: [declared],
      policy: gate.policy,
      fingerprints: gate.fingerprints,
    });
    const report =
      gate.policyRolledBack === true
        ? holdForReview(checked, "limits.policy_rolled_back", POLICY_ROLLED_BACK)
        : checked;
    const released = report.decision === "auto-approved";
    this.deps.log("explore.export.decided", {
      sessionId: session.id,
      path: declared.path,
      decision: report.decision,
    });
    if (released) return { report, released, content: bytes };
    if (report.decision !== "needs-review" || this.deps.reviews === undefined) return { report, released };
    if (resultPublicKey === undefined) {
      throw new Cce4longError(
        "VALIDATION_FAILED",
        "The gate holds this file for review: export it again with resultPublicKey (X25519) to queue it",
        { detail: { decision: report.decision } },
      );
    }
    const review = await this.deps.reviews.acceptExploreExport({
      item: {
        exportId: `0x${randomBytes(32).toString("hex")}` as Hex,
        datasetId: session.datasetId,
        sessionId: session.id,
        datasetVersion: session.version,
        resultPublicKey,
      },
      consumer: session.consumer,
      declared,
      file: { path: declared.path, bytes },
      report,
    });
    this.deps.log("explore.export.queued", {
      sessionId: session.id,
      exportId: review.jobId,
      state: review.state,
    });
    return { report, released, review };
  }

  /** The chain's rules, checked before anything is prepared (the hub checks them again when recording). */
  async #ensureAccess(consumer: Address, datasetId: Hex): Promise<boolean> {
    const terms = await this.deps.chain.exploreTerms(datasetId);
    if (terms === undefined) throw new Cce4longError("NOT_FOUND", "No dataset with this id is registered");
    if (!terms.exploreOffered)
      throw new Cce4longError("AUTH_FORBIDDEN", "This dataset does not offer Explore Mode");
    if (await this.deps.chain.isRentalActive(datasetId, consumer)) return false;
    if (terms.freePreview && !terms.retired) return true;
    throw new Cce4longError("RENTAL_INACTIVE", "Explore Mode needs an active rental of this dataset", {
      detail: { datasetId, consumer },
    });
  }

  private async prepare(id: Hex, datasetId: Hex, dir: string): Promise<Prepared> {
    const lowerDir = join(dir, "lower");
    const mountpoint = join(dir, "sample");
    const workDir = join(dir, "notebooks");
    const configDir = join(dir, "config");
    await Promise.all([lowerDir, workDir, configDir].map((d) => mkdir(d, { recursive: true, mode: 0o700 })));
    const { version, manifest, files } = await this.deps.samples.stage(datasetId, lowerDir);
    const keys = new Map<string, DatasetKey>();
    try {
      for (const version of new Set(files.map((f) => f.keyVersion))) {
        keys.set(`${datasetId}:${version}`, await this.deps.keys.keyForRead(datasetId, version));
      }
    } catch (error) {
      for (const key of keys.values()) key.wipe();
      throw error;
    }
    const mount = await mountDecrypting({
      mountpoint,
      files: files.map((f) => ({ path: f.path, lowerPath: f.lowerPath, expectedFileId: f.expectedFileId })),
      keyFor: (headerDatasetId, version) => {
        const key = keys.get(`${headerDatasetId}:${version}`);
        if (key === undefined)
          throw new Cce4longError("SEAL_INTEGRITY", "A sample file names another dataset key");
        return key.key;
      },
      onIntegrityError: (path, reason) =>
        this.deps.log("explore.sample.integrity_error", { sessionId: id, path, reason }),
    });
    const wipeKeys = () => {
      for (const key of keys.values()) key.wipe();
    };
    const internalToken = randomBytes(32).toString("hex");
    let jupyter: RunningJupyter;
    try {
      jupyter = await startJupyter({
        dataDir: mountpoint,
        workDir,
        configDir,
        baseUrl: jupyterBaseUrl(id),
        internalToken,
        jupyterBin: this.deps.jupyterBin,
        readyTimeoutMs: 30_000,
      });
    } catch (error) {
      await mount.unmount().catch(() => {});
      wipeKeys();
      throw error;
    }
    const unmount = async () => {
      try {
        await mount.unmount();
      } finally {
        wipeKeys();
      }
    };
    return { version, manifest, jupyter, mount: { mountpoint, unmount }, internalToken, workDir };
  }

  async #teardown(parts: {
    dir: string;
    jupyter?: RunningJupyter | undefined;
    mount?: DecryptingMount | undefined;
  }) {
    await parts.jupyter?.stop().catch(() => {});
    await parts.mount?.unmount().catch((error: unknown) => {
      this.deps.log("explore.session.unmount_failed", { dir: parts.dir, error: String(error) });
    });
    await rm(parts.dir, { recursive: true, force: true }).catch(() => {});
  }
}

export type { Session as ExploreSession };
