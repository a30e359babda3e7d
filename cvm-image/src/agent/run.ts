/**
 * The boot agent's one job (runs in the Computing Plane VM; locally as the local launcher's child):
 * ephemeral key -> attest -> key release (with the version manifest and the read URLs of its objects)
 * -> the lower layer, read from object storage, held to the credential's version manifest (exact file
 * set, sizes, file ids, hashes, authenticated headers) -> decrypting mount at a job-private folder -> the job in a
 * network-less sandbox with /data read-only -> /output sealed to the Output Gate with a status report
 * -> unmount, wipe, done (the caller exits and the VM powers off to be destroyed). Each step is logged,
 * never with a secret.
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { Cce4longError, isCce4longError } from "@cce4long/protocol";
import { AGENT_STAGE, type JobRunStatus, type OutputBundle } from "@cce4long/protocol/jobs/output-bundle";
import { generateEphemeralKeyPair } from "@cce4long/sealing/ecdhe-wrap";
import { wipe } from "@cce4long/sealing/keys/wipe";
import type { Attester } from "../attestation/attester";
import { createDevAttester } from "../attestation/insecure/dev-attester";
import { createConfigfsTsmAttester } from "../attestation/tdx/configfs-tsm-attester";
import { type DecryptingMount, mountDecrypting } from "../fuse/decrypting-fs";
import { objectStoreLowerLayer } from "../fuse/object-store-lower-layer";
import { OBJECT_STORE_READ_AHEAD } from "../fuse/read-ahead";
import { BubblewrapSandbox } from "../sandbox/bubblewrap";
import { PodmanSandbox } from "../sandbox/podman";
import type { JobSandbox, SandboxResult } from "../sandbox/sandbox";
import type { AgentConfig } from "./config";
import { findDirectoryImage } from "./directory-image";
import { type EgressFirewall, NftablesEgress, NoEgressFirewall } from "./egress";
import { type ReleasedKeys, requestDatasetKeys } from "./key-request";
import type { AgentLog } from "./log";
import { ensureLowerMatchesManifest } from "./manifest-check";
import { collectOutputs, deliverOutputs } from "./outputs";

export interface AgentDeps {
  log: AgentLog;
  attester?: Attester;
  sandbox?: JobSandbox;
  /** The VM's firewall (from config.egress unless given). */
  egress?: EgressFirewall;
  fetchImpl?: typeof fetch;
  /** Registers the cleanup a SIGTERM must run (unmount, wipe) before the process exits. */
  onCleanup?(cleanup: () => Promise<void>): void;
}

export type AgentOutcome = "outputs-delivered" | "job-failed-reported" | "no-key";

export async function runAgent(config: AgentConfig, deps: AgentDeps): Promise<AgentOutcome> {
  const { log } = deps;
  const step = async <T>(
    name: string,
    work: () => Promise<T>,
    fields: (value: T) => Record<string, unknown> = () => ({}),
  ) => {
    const started = performance.now();
    try {
      const value = await work();
      log(`agent.${name}`, { ms: Math.round(performance.now() - started), ...fields(value) });
      return value;
    } catch (error) {
      log(`agent.${name}-failed`, {
        code: isCce4longError(error) ? error.code : "INTERNAL",
        error: (error as Error).message,
      });
      throw Object.assign(error as object, { stage: name });
    }
  };
  log("agent.started", {
    jobId: config.jobId,
    datasetId: config.datasetId,
    deployment: config.deployment,
    sandbox: config.sandbox,
  });

  const egress =
    deps.egress ?? (config.egress === "nftables" ? new NftablesEgress() : new NoEgressFirewall());
  const ephemeral = generateEphemeralKeyPair();
  const attester = deps.attester ?? buildAttester(config);
  let released: ReleasedKeys;
  try {
    // The firewall lets nothing out until the agent names the Privacy Plane's addresses.
    await step("egress-privacy-plane", () =>
      egress.allow("privacy_plane", [new URL(config.privacyPlaneUrl)]),
    );
    released = await step(
      "key-released",
      () =>
        requestDatasetKeys({
          privacyPlaneUrl: config.privacyPlaneUrl,
          credential: config.credential,
          jobId: config.jobId,
          datasetId: config.datasetId,
          ephemeral,
          attester,
          fetchImpl: deps.fetchImpl,
        }),
      (r) => ({
        keyVersions: [...r.keys.keys()],
        datasetVersion: r.datasetVersion,
        objects: r.objects.length,
      }),
    );
  } catch {
    // No key, nothing to run: the Privacy Plane has logged why and fails the job on-chain.
    return "no-key";
  } finally {
    wipe(ephemeral.privateKey);
  }

  const dataDir = join(config.workDir, "data");
  const outputDir = join(config.workDir, "output");
  let mount: DecryptingMount | undefined;
  const cleanup = async () => {
    if (mount) {
      const current = mount;
      mount = undefined;
      await current
        .unmount()
        .catch((error: unknown) => log("agent.unmount-failed", { error: (error as Error).message }));
      log("agent.unmounted", {});
    }
    for (const key of released.keys.values()) wipe(key);
    // Only after the unmount: the folder held the plaintext view.
    await rm(config.workDir, { recursive: true, force: true }).catch(() => {});
    log("agent.wiped", {});
  };
  deps.onCleanup?.(cleanup);

  const report = async (status: JobRunStatus, files: OutputBundle["files"], logs: OutputBundle["logs"]) =>
    step(
      "outputs-delivered",
      () =>
        deliverOutputs({
          privacyPlaneUrl: config.privacyPlaneUrl,
          credential: config.credential,
          outputsToken: released.outputsToken,
          jobId: config.jobId,
          datasetId: config.datasetId,
          gateOutputPublicKey: released.gateOutputPublicKey,
          gateOutputKeyVersion: released.gateOutputKeyVersion,
          status,
          files,
          logs,
          fetchImpl: deps.fetchImpl,
        }),
      (r) => ({
        files: files.length,
        outcome: status.outcome,
        exitCode: status.exitCode,
        recorded: r.recorded,
      }),
    );

  try {
    const spec = released.spec;
    if (spec.image.digest !== config.imageDigest) {
      throw new Cce4longError(
        "VALIDATION_FAILED",
        "The released spec names another image than this VM was launched for",
      );
    }
    // URLs that would die before the job may end would turn into EIO halfway through: refuse up front.
    if (released.urlsExpireAt < Date.now() + spec.resources.timeoutSeconds * 1000) {
      throw new Cce4longError(
        "LOWER_LAYER_UNAVAILABLE",
        "The dataset's read URLs expire before the job's time limit (clock skew, or a short grant)",
      );
    }
    // The version's objects, read with ranged GETs on the URLs key release handed over (nothing on disk),
    // from exactly the addresses the firewall was opened to.
    const lookup = await step("egress-object-store", () =>
      egress.allow(
        "object_store",
        released.objects.map((object) => new URL(object.url)),
      ),
    );
    const lower = objectStoreLowerLayer({ objects: released.objects, lookup });
    // Before anything is mounted: the files are exactly the credential's version, or the job fails.
    const checked = await step(
      AGENT_STAGE.MANIFEST_CHECKED,
      () =>
        ensureLowerMatchesManifest({
          manifest: released.manifest,
          present: released.objects.map((object) => object.path),
          lower,
          datasetId: config.datasetId,
          manifestRoot: released.manifestRoot,
          keys: released.keys,
        }),
      (c) => ({ files: c.files.length, manifestRoot: c.manifest.root }),
    );
    const jobDir =
      config.sandbox === "bubblewrap"
        ? await step("image-found", () => findDirectoryImage(config.imageDirs, spec.image.digest))
        : undefined;
    await mkdir(config.workDir, { recursive: true, mode: 0o700 });
    await mkdir(outputDir, { recursive: true });
    mount = await step("mounted", () =>
      mountDecrypting({
        mountpoint: dataDir,
        files: checked.files,
        lower,
        readAhead: OBJECT_STORE_READ_AHEAD,
        keyFor: (datasetId, keyVersion) => {
          const key = released.keys.get(keyVersion);
          if (datasetId !== config.datasetId || !key)
            throw new Cce4longError("KEY_VERSION_UNKNOWN", "No key for this file");
          return key;
        },
        onIntegrityError: (path, reason) => log("agent.integrity-error", { path, reason }),
      }),
    );
    const sandbox =
      deps.sandbox ?? (config.sandbox === "bubblewrap" ? new BubblewrapSandbox() : new PodmanSandbox());
    const result: SandboxResult = await step(
      "job-ran",
      () =>
        sandbox.run({
          command: spec.command,
          dataDir,
          outputDir,
          jobDir,
          env: { ...spec.parameters, CCE4LONG_DATA_DIR: "/data", CCE4LONG_OUTPUT_DIR: "/output" },
          timeoutMs: spec.resources.timeoutSeconds * 1000,
          imageDigest: spec.image.digest,
        }),
      (r) => ({ exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, durationMs: r.durationMs }),
    );
    // The job is over: the plaintext view goes before anything leaves.
    await mount.unmount();
    mount = undefined;
    log("agent.unmounted", {});
    const outputs = await step(
      "outputs-collected",
      () => collectOutputs(outputDir, spec.resources.maxOutputBytes),
      (o) => ({
        files: o.files.length,
        bytes: o.totalBytes,
        skipped: o.skipped.length,
      }),
    );
    await report(
      {
        outcome: "completed",
        exitCode: result.exitCode,
        signal: result.signal,
        timedOut: result.timedOut,
        durationMs: result.durationMs,
      },
      outputs.files,
      { stdoutTail: result.stdoutTail, stderrTail: result.stderrTail },
    );
    return "outputs-delivered";
  } catch (error) {
    const stage = (error as { stage?: string }).stage ?? "internal";
    await report(
      {
        outcome: "failed",
        exitCode: null,
        signal: null,
        timedOut: false,
        durationMs: 0,
        stage: stage.slice(0, 64),
        code: isCce4longError(error) ? error.code : "INTERNAL",
      },
      [],
      { stdoutTail: "", stderrTail: "" },
    ).catch(() => {});
    return "job-failed-reported";
  } finally {
    await cleanup();
  }
}

function buildAttester(config: AgentConfig): Attester {
  return config.deployment === "development"
    ? createDevAttester({ deployment: config.deployment, endpoint: config.dstackEndpoint })
    : createConfigfsTsmAttester();
}
