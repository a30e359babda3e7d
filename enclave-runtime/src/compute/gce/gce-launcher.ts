/**
 * The Google Confidential VM (Intel TDX) compute launcher (runs inside the TEE, Privacy Plane): one
 * ephemeral VM per job from the Packer image, over @google-cloud/compute's InstancesClient and
 * ZoneOperationsClient, injected so tests can check the exact requests without a network.
 */
import type { protos } from "@google-cloud/compute";
import type {
  ComputeLauncher,
  DestroyResult,
  InstanceRef,
  InstanceState,
  InstanceStatus,
  LaunchResult,
} from "../launcher";
import { parseLaunchJob } from "../launcher";
import type { GceLauncherConfig } from "./config";
import {
  classifyCallError,
  classifyOperationError,
  computeError,
  describeCallError,
  describeOperationError,
  type GceFailureKind,
} from "./errors";
import { buildInsertRequest } from "./instance-request";
import { formatInstanceRef, type GceInstanceLocation, instanceNameFor, parseInstanceRef } from "./naming";

type IOperation = protos.google.cloud.compute.v1.IOperation;

/** What insert/delete resolve to: google-gax's LROperation, whose `latestResponse` is the zone operation. */
export interface GceLroLike {
  latestResponse?: unknown;
}

/** The InstancesClient methods this launcher calls (the real client satisfies it; tests pass a fake). */
export interface GceInstancesApi {
  insert(
    request: protos.google.cloud.compute.v1.IInsertInstanceRequest,
  ): Promise<readonly [GceLroLike, ...unknown[]]>;
  get(
    request: protos.google.cloud.compute.v1.IGetInstanceRequest,
  ): Promise<readonly [protos.google.cloud.compute.v1.IInstance, ...unknown[]]>;
  delete(
    request: protos.google.cloud.compute.v1.IDeleteInstanceRequest,
  ): Promise<readonly [GceLroLike, ...unknown[]]>;
}

/** The ZoneOperationsClient method this launcher calls: blocks up to about two minutes, or until DONE. */
export interface GceZoneOperationsApi {
  wait(
    request: protos.google.cloud.compute.v1.IWaitZoneOperationRequest,
  ): Promise<readonly [IOperation, ...unknown[]]>;
}

export interface GceLauncherDeps {
  instances: GceInstancesApi;
  operations: GceZoneOperationsApi;
  /** Milliseconds since the epoch; injectable so deadline tests need no real time. */
  now?: () => number;
  /** Pause between retries after a transient wait failure. */
  sleep?: (ms: number) => Promise<void>;
}

/** Operation.Status.DONE, as a string (REST JSON) or its proto enum number. */
const DONE_STATUS = "DONE";
const DONE_STATUS_NUMBER = 2104194; // google.cloud.compute.v1.Operation.Status.DONE
const RETRY_PAUSE_MS = 1000;

const INSTANCE_STATES: Record<string, InstanceState> = {
  PROVISIONING: "starting",
  STAGING: "starting",
  RUNNING: "running",
  PENDING_STOP: "stopping",
  STOPPING: "stopping",
  SUSPENDING: "stopping",
  REPAIRING: "stopping",
  SUSPENDED: "stopped",
  STOPPED: "stopped",
  TERMINATED: "stopped",
};

export class GceComputeLauncher implements ComputeLauncher {
  readonly kind = "gce" as const;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly config: GceLauncherConfig,
    private readonly deps: GceLauncherDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  refForJob(jobId: string): InstanceRef {
    return formatInstanceRef({
      project: this.config.project,
      zone: this.config.zone,
      name: instanceNameFor(jobId),
    });
  }

  async launch(input: unknown): Promise<LaunchResult> {
    const job = parseLaunchJob(input);
    const request = buildInsertRequest(this.config, job);
    const instanceRef = this.refForJob(job.jobId);
    const location = parseInstanceRef(instanceRef);
    // The provider may echo a rejected field's value; the credential must not reach a log through it.
    const secrets = [job.credential];

    let operation: IOperation;
    try {
      const [lro, raw] = await this.deps.instances.insert(request);
      operation = operationOf(lro, raw);
    } catch (error) {
      throw launchFailure(classifyCallError(error), { instanceRef, ...describeCallError(error, secrets) });
    }
    const outcome = await this.waitForOperation(operation, location, secrets);
    if (outcome) throw launchFailure(outcome.kind, { instanceRef, ...outcome.detail });
    return { instanceRef, launchedAt: new Date(this.now()) };
  }

  async status(ref: InstanceRef): Promise<InstanceStatus> {
    const location = parseInstanceRef(ref);
    let instance: protos.google.cloud.compute.v1.IInstance;
    try {
      [instance] = await this.deps.instances.get({
        project: location.project,
        zone: location.zone,
        instance: location.name,
      });
    } catch (error) {
      const kind = classifyCallError(error);
      if (kind === "not_found") return { state: "gone" };
      throw computeError(asCallFailure(kind), { instanceRef: ref, ...describeCallError(error) }, error);
    }
    const providerStatus = instance.status ?? "UNKNOWN";
    const created = instance.creationTimestamp ? new Date(instance.creationTimestamp) : undefined;
    return {
      // A status word GCE adds later still means the VM exists: treat it as running, so timeouts apply.
      state: INSTANCE_STATES[providerStatus] ?? "running",
      providerStatus,
      ...(created && !Number.isNaN(created.getTime()) ? { launchedAt: created } : {}),
    };
  }

  async destroy(ref: InstanceRef): Promise<DestroyResult> {
    const location = parseInstanceRef(ref);
    let operation: IOperation;
    try {
      const [lro, raw] = await this.deps.instances.delete({
        project: location.project,
        zone: location.zone,
        instance: location.name,
      });
      operation = operationOf(lro, raw);
    } catch (error) {
      const kind = classifyCallError(error);
      if (kind === "not_found") return { alreadyGone: true };
      throw computeError(asCallFailure(kind), { instanceRef: ref, ...describeCallError(error) }, error);
    }
    const outcome = await this.waitForOperation(operation, location, []);
    if (!outcome) return { alreadyGone: false };
    if (outcome.kind === "not_found") return { alreadyGone: true };
    throw computeError(asCallFailure(outcome.kind), { instanceRef: ref, ...outcome.detail });
  }

  /**
   * Waits for a zone operation to finish. Resolves to undefined on success, or to the failure the
   * finished operation reports. Transient wait failures are retried until the configured deadline.
   */
  private async waitForOperation(
    initial: IOperation,
    location: GceInstanceLocation,
    secrets: readonly string[],
  ): Promise<{ kind: GceFailureKind; detail: Record<string, unknown> } | undefined> {
    const deadline = this.now() + this.config.operationTimeoutMs;
    let operation = initial;
    while (!isDone(operation)) {
      if (this.now() >= deadline || !operation.name) {
        throw computeError("COMPUTE_PROVIDER_UNAVAILABLE", {
          operation: operation.name,
          reason: operation.name ? "operation not done before the deadline" : "operation without a name",
        });
      }
      try {
        [operation] = await this.deps.operations.wait({
          operation: operation.name,
          project: location.project,
          zone: location.zone,
        });
      } catch (error) {
        const kind = classifyCallError(error);
        if (kind !== "COMPUTE_PROVIDER_UNAVAILABLE") {
          return { kind, detail: { operation: operation.name, ...describeCallError(error, secrets) } };
        }
        await this.sleep(RETRY_PAUSE_MS);
      }
    }
    if (operation.error?.errors?.length) {
      return {
        kind: classifyOperationError(operation.error),
        detail: { operation: operation.name, ...describeOperationError(operation.error, secrets) },
      };
    }
    return undefined;
  }
}

function isDone(operation: IOperation): boolean {
  return operation.status === DONE_STATUS || operation.status === DONE_STATUS_NUMBER;
}

/** The zone operation behind an insert/delete result (google-gax puts it in `latestResponse`). */
function operationOf(lro: GceLroLike, raw: unknown): IOperation {
  const candidate = lro?.latestResponse ?? raw;
  if (typeof candidate !== "object" || candidate === null) {
    throw computeError("COMPUTE_PROVIDER_UNAVAILABLE", { reason: "call returned no operation" });
  }
  return candidate as IOperation;
}

/** For launch, "not found" means a referenced resource (image, subnetwork) is missing: a rejection. */
function launchFailure(kind: GceFailureKind, detail: Record<string, unknown>) {
  return computeError(asCallFailure(kind), detail);
}

function asCallFailure(kind: GceFailureKind) {
  return kind === "not_found" ? "COMPUTE_REQUEST_REJECTED" : kind;
}
