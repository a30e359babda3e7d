/**
 * Boundary tests of the GCE Confidential VM launcher (runs in Node under vitest; no network): a fake
 * InstancesClient / ZoneOperationsClient records every request, and the tests assert the exact objects.
 * Provider errors are shaped as google-gax's GoogleError.parseHttpError makes them (gRPC `code` from the
 * HTTP status, GCE's message), and zone-operation errors as GCE reports them (`error.errors[].code`).
 */
import type { protos } from "@google-cloud/compute";
import { describe, expect, it } from "vitest";
import type { LaunchJob } from "../launcher";
import type { GceLauncherConfig } from "./config";
import { GceComputeLauncher, type GceInstancesApi, type GceZoneOperationsApi } from "./gce-launcher";

type IOperation = protos.google.cloud.compute.v1.IOperation;

const CONFIG: GceLauncherConfig = {
  project: "cce4long-prod",
  zone: "us-central1-a",
  network: "projects/cce4long-prod/global/networks/cce4long-jobs",
  subnetwork: "projects/cce4long-prod/regions/us-central1/subnetworks/jobs",
  image: "projects/cce4long-prod/global/images/cce4long-cvm-20261121-a334429",
  machineTypes: { standard: "c3-standard-4", large: "c3-standard-22" },
  bootDisk: { sizeGb: 20, type: "pd-balanced" },
  serviceAccount: null,
  privacyPlaneUrl: "https://privacy.cce4long.example",
  networkTag: "cce4long-job",
  operationTimeoutMs: 300_000,
};

const JOB_ID = "0x1f3a5c7e9b2d4f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";
const JOB: LaunchJob = {
  jobId: JOB_ID,
  datasetId: "0xd47a5e7b000000000000000000000000000000000000000000000000000000aa",
  credential: "c4l.jc.v1.eyJqb2IiOiIweDFmM2EifQ.c2lnbmF0dXJl",
  imageDigest: "sha256:9b2f0c4d6e8a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c",
  machineProfile: "standard",
  maxRunSeconds: 3600,
};
const NAME = "cce4long-job-1f3a5c7e9b2d4f60718293a4b5c6d7e8f90a1b2c3d4e5f60";
const REF = `gce:cce4long-prod/us-central1-a/${NAME}`;
const LABELS = {
  "cce4long-role": "job",
  "cce4long-job-hi": "1f3a5c7e9b2d4f60718293a4b5c6d7e8",
  "cce4long-job-lo": "f90a1b2c3d4e5f60718293a4b5c6d7e8",
};

/** A google-gax GoogleError as parseHttpError builds it (HTTP 403 -> 7, 404 -> 5, 409 -> 10, 429 -> 8). */
function gaxError(code: number | undefined, message: string, extra: Record<string, unknown> = {}) {
  return Object.assign(new Error(message), code === undefined ? {} : { code }, extra);
}

const op = (status: "DONE" | "RUNNING", extra: Partial<IOperation> = {}): IOperation => ({
  name: "operation-1763700000000-abc",
  zone: "https://www.googleapis.com/compute/v1/projects/cce4long-prod/zones/us-central1-a",
  status,
  ...extra,
});

interface FakeScript {
  insert?: () => Promise<IOperation>;
  get?: () => Promise<protos.google.cloud.compute.v1.IInstance>;
  delete?: () => Promise<IOperation>;
  /** One answer per wait call, in order; the last one repeats. */
  waits?: Array<() => Promise<IOperation>>;
}

function harness(script: FakeScript, config: GceLauncherConfig = CONFIG) {
  const calls: Array<{ method: string; request: unknown }> = [];
  let clock = 1_795_000_000_000;
  let waitIndex = 0;
  const instances: GceInstancesApi = {
    async insert(request) {
      calls.push({ method: "insert", request });
      return [
        { latestResponse: await (script.insert ?? (async () => op("RUNNING")))() },
        undefined,
        undefined,
      ];
    },
    async get(request) {
      calls.push({ method: "get", request });
      return [await script.get!(), undefined, undefined];
    },
    async delete(request) {
      calls.push({ method: "delete", request });
      return [
        { latestResponse: await (script.delete ?? (async () => op("RUNNING")))() },
        undefined,
        undefined,
      ];
    },
  };
  const operations: GceZoneOperationsApi = {
    async wait(request) {
      calls.push({ method: "wait", request });
      const waits = script.waits ?? [async () => op("DONE")];
      const answer = waits[Math.min(waitIndex++, waits.length - 1)]!;
      clock += 120_000; // GCE's wait blocks up to two minutes
      return [await answer(), undefined, undefined];
    },
  };
  const launcher = new GceComputeLauncher(config, {
    instances,
    operations,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
  });
  return { launcher, calls };
}

async function rejection(
  promise: Promise<unknown>,
): Promise<{ code: string; message: string; detail: unknown }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string; detail: unknown };
  }
  throw new Error("expected a rejection");
}

const WAIT_REQUEST = {
  operation: "operation-1763700000000-abc",
  project: "cce4long-prod",
  zone: "us-central1-a",
};

describe("GceComputeLauncher.launch", () => {
  it("sends the exact insert request: TDX on C3, pinned image, no external IP, credential in metadata", async () => {
    const { launcher, calls } = harness({});
    const result = await launcher.launch(JOB);

    expect(result.instanceRef).toBe(REF);
    expect(result.launchedAt).toBeInstanceOf(Date);
    expect(calls.map((c) => c.method)).toEqual(["insert", "wait"]);
    expect(calls[0]!.request).toStrictEqual({
      project: "cce4long-prod",
      zone: "us-central1-a",
      requestId: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
      instanceResource: {
        name: NAME,
        description: "cce4long Computing Plane: ephemeral VM for one Privacy Mode job",
        machineType: "zones/us-central1-a/machineTypes/c3-standard-4",
        confidentialInstanceConfig: { confidentialInstanceType: "TDX" },
        scheduling: {
          onHostMaintenance: "TERMINATE",
          automaticRestart: false,
          provisioningModel: "STANDARD",
          maxRunDuration: { seconds: 3600 },
          instanceTerminationAction: "DELETE",
        },
        shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
        disks: [
          {
            boot: true,
            autoDelete: true,
            mode: "READ_WRITE",
            type: "PERSISTENT",
            initializeParams: {
              sourceImage: "projects/cce4long-prod/global/images/cce4long-cvm-20261121-a334429",
              diskSizeGb: 20,
              diskType: "zones/us-central1-a/diskTypes/pd-balanced",
              labels: LABELS,
            },
          },
        ],
        networkInterfaces: [
          {
            network: "projects/cce4long-prod/global/networks/cce4long-jobs",
            subnetwork: "projects/cce4long-prod/regions/us-central1/subnetworks/jobs",
            nicType: "GVNIC",
            stackType: "IPV4_ONLY",
          },
        ],
        serviceAccounts: [],
        metadata: {
          items: [
            { key: "cce4long-job-credential", value: JOB.credential },
            { key: "cce4long-privacy-plane-url", value: "https://privacy.cce4long.example" },
            { key: "cce4long-job-id", value: JOB_ID },
            { key: "cce4long-dataset-id", value: JOB.datasetId },
            { key: "cce4long-image-digest", value: JOB.imageDigest },
            { key: "block-project-ssh-keys", value: "TRUE" },
            { key: "enable-oslogin", value: "FALSE" },
            { key: "serial-port-enable", value: "FALSE" },
            { key: "enable-guest-attributes", value: "FALSE" },
          ],
        },
        labels: LABELS,
        tags: { items: ["cce4long-job"] },
        deletionProtection: false,
        canIpForward: false,
      },
    });
    expect(calls[1]!.request).toStrictEqual(WAIT_REQUEST);
  });

  it("uses the large profile's machine type and a configured service account with only its scopes", async () => {
    const { launcher, calls } = harness(
      {},
      {
        ...CONFIG,
        serviceAccount: {
          email: "cce4long-job-vm@cce4long-prod.iam.gserviceaccount.com",
          scopes: ["https://www.googleapis.com/auth/devstorage.read_only"],
        },
      },
    );
    await launcher.launch({ ...JOB, machineProfile: "large" });
    const resource = (calls[0]!.request as protos.google.cloud.compute.v1.IInsertInstanceRequest)
      .instanceResource!;
    expect(resource.machineType).toBe("zones/us-central1-a/machineTypes/c3-standard-22");
    expect(resource.serviceAccounts).toStrictEqual([
      {
        email: "cce4long-job-vm@cce4long-prod.iam.gserviceaccount.com",
        scopes: ["https://www.googleapis.com/auth/devstorage.read_only"],
      },
    ]);
  });

  it("derives the same instance name and insert requestId for a redelivered job, another for another job", async () => {
    const first = harness({});
    const second = harness({});
    await first.launcher.launch(JOB);
    await second.launcher.launch(JOB);
    const requestOf = (h: typeof first) =>
      h.calls[0]!.request as { requestId: string; instanceResource: { name: string } };
    expect(requestOf(second)).toEqual(requestOf(first));

    const other = harness({});
    await other.launcher.launch({ ...JOB, jobId: `0x${"ab".repeat(32)}` });
    expect(requestOf(other).requestId).not.toBe(requestOf(first).requestId);
    expect(requestOf(other).instanceResource.name).toBe(`cce4long-job-${"ab".repeat(24)}`);
  });

  it("returns the same ref as refForJob, so a dispatcher that lost it can still tear the VM down", async () => {
    const { launcher } = harness({});
    expect(launcher.refForJob(JOB_ID)).toBe(REF);
    expect((await launcher.launch(JOB)).instanceRef).toBe(launcher.refForJob(JOB_ID));
  });

  it("keeps waiting while the zone operation runs, and retries a transient wait failure", async () => {
    const { launcher, calls } = harness({
      waits: [
        async () => op("RUNNING"),
        async () => {
          throw gaxError(14, "503 Service Unavailable");
        },
        async () => op("DONE"),
      ],
    });
    await launcher.launch(JOB);
    expect(calls.map((c) => c.method)).toEqual(["insert", "wait", "wait", "wait"]);
  });

  it("does not wait when the insert's operation is already DONE", async () => {
    const { launcher, calls } = harness({ insert: async () => op("DONE") });
    await launcher.launch(JOB);
    expect(calls.map((c) => c.method)).toEqual(["insert"]);
  });

  it("error: VALIDATION_FAILED for a bad job, naming fields, without calling GCE or echoing the credential", async () => {
    const { launcher, calls } = harness({});
    const bad = { ...JOB, jobId: "0x12", credential: "has spaces in it", maxRunSeconds: 10 };
    const error = await rejection(launcher.launch(bad));
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.message).toContain("jobId");
    expect(error.message).toContain("credential");
    expect(error.message).toContain("maxRunSeconds");
    expect(JSON.stringify(error.detail)).not.toContain("has spaces");
    expect(calls).toEqual([]);
  });

  it("error: COMPUTE_QUOTA_EXCEEDED from a synchronous 403 quota answer (gax code 7)", async () => {
    const { launcher } = harness({
      insert: async () => {
        throw gaxError(7, "Quota 'C3_CPUS' exceeded.  Limit: 8.0 in region us-central1.");
      },
    });
    const error = await rejection(launcher.launch(JOB));
    expect(error.code).toBe("COMPUTE_QUOTA_EXCEEDED");
    expect(error.message).not.toContain("C3_CPUS");
    expect(error.detail).toMatchObject({ instanceRef: REF, grpcCode: 7 });
  });

  it("error: COMPUTE_QUOTA_EXCEEDED from RESOURCE_EXHAUSTED (HTTP 429)", async () => {
    const { launcher } = harness({
      insert: async () => {
        throw gaxError(8, "Rate Limit Exceeded", { httpStatusCode: 429 });
      },
    });
    expect((await rejection(launcher.launch(JOB))).code).toBe("COMPUTE_QUOTA_EXCEEDED");
  });

  it("error: COMPUTE_QUOTA_EXCEEDED when the zone operation finishes with QUOTA_EXCEEDED", async () => {
    const { launcher } = harness({
      waits: [
        async () =>
          op("DONE", {
            error: { errors: [{ code: "QUOTA_EXCEEDED", message: "Quota 'CPUS' exceeded. Limit: 24.0" }] },
          }),
      ],
    });
    const error = await rejection(launcher.launch(JOB));
    expect(error.code).toBe("COMPUTE_QUOTA_EXCEEDED");
    expect(error.detail).toMatchObject({ operationErrors: [{ code: "QUOTA_EXCEEDED" }] });
  });

  it("error: COMPUTE_CAPACITY_UNAVAILABLE when the zone has no TDX capacity", async () => {
    const { launcher } = harness({
      waits: [
        async () =>
          op("DONE", {
            error: {
              errors: [
                {
                  code: "ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS",
                  message: "The zone does not have enough resources available to fulfill the request.",
                },
              ],
            },
          }),
      ],
    });
    expect((await rejection(launcher.launch(JOB))).code).toBe("COMPUTE_CAPACITY_UNAVAILABLE");
  });

  it("error: COMPUTE_ALREADY_LAUNCHED when the job's VM exists (HTTP 409, which gax maps to ABORTED)", async () => {
    const { launcher } = harness({
      insert: async () => {
        throw gaxError(
          10,
          `The resource 'projects/cce4long-prod/zones/us-central1-a/instances/${NAME}' already exists`,
        );
      },
    });
    const error = await rejection(launcher.launch(JOB));
    expect(error.code).toBe("COMPUTE_ALREADY_LAUNCHED");
    expect(error.detail).toMatchObject({ instanceRef: REF });
  });

  it("error: COMPUTE_REQUEST_REJECTED when the image is missing (RESOURCE_NOT_FOUND in the operation)", async () => {
    const { launcher } = harness({
      waits: [
        async () =>
          op("DONE", { error: { errors: [{ code: "RESOURCE_NOT_FOUND", message: "image not found" }] } }),
      ],
    });
    expect((await rejection(launcher.launch(JOB))).code).toBe("COMPUTE_REQUEST_REJECTED");
  });

  it("error: COMPUTE_REQUEST_REJECTED for a permission or argument error, with the credential redacted", async () => {
    const { launcher } = harness({
      insert: async () => {
        throw gaxError(3, `Invalid value for field 'resource.metadata.items[0].value': '${JOB.credential}'.`);
      },
    });
    const error = await rejection(launcher.launch(JOB));
    expect(error.code).toBe("COMPUTE_REQUEST_REJECTED");
    expect(JSON.stringify(error)).not.toContain(JOB.credential);
    expect(JSON.stringify(error.detail)).toContain("[redacted]");
  });

  it("error: COMPUTE_PROVIDER_UNAVAILABLE when the call never gets an answer", async () => {
    const { launcher } = harness({
      insert: async () => {
        throw Object.assign(new Error("getaddrinfo ENOTFOUND compute.googleapis.com"), { errno: -3008 });
      },
    });
    expect((await rejection(launcher.launch(JOB))).code).toBe("COMPUTE_PROVIDER_UNAVAILABLE");
  });

  it("error: COMPUTE_PROVIDER_UNAVAILABLE when the operation is not done before the deadline", async () => {
    const { launcher, calls } = harness({ waits: [async () => op("RUNNING")] });
    const error = await rejection(launcher.launch(JOB));
    expect(error.code).toBe("COMPUTE_PROVIDER_UNAVAILABLE");
    // 300 s deadline, each wait takes 120 s on the fake clock: three waits, then give up.
    expect(calls.filter((c) => c.method === "wait")).toHaveLength(3);
  });
});

describe("GceComputeLauncher.status", () => {
  it("sends the exact get request and maps RUNNING with the creation time", async () => {
    const { launcher, calls } = harness({
      get: async () => ({
        name: NAME,
        status: "RUNNING",
        creationTimestamp: "2026-11-21T06:00:00.000-08:00",
      }),
    });
    expect(await launcher.status(REF)).toEqual({
      state: "running",
      providerStatus: "RUNNING",
      launchedAt: new Date("2026-11-21T14:00:00.000Z"),
    });
    expect(calls).toStrictEqual([
      { method: "get", request: { project: "cce4long-prod", zone: "us-central1-a", instance: NAME } },
    ]);
  });

  it.each([
    ["PROVISIONING", "starting"],
    ["STAGING", "starting"],
    ["STOPPING", "stopping"],
    ["TERMINATED", "stopped"],
    ["SOME_FUTURE_STATUS", "running"],
  ])("maps GCE status %s to %s", async (providerStatus, state) => {
    const { launcher } = harness({ get: async () => ({ status: providerStatus }) });
    expect(await launcher.status(REF)).toEqual({ state, providerStatus });
  });

  it("reports gone (not an error) when GCE no longer knows the VM", async () => {
    const { launcher } = harness({
      get: async () => {
        throw gaxError(
          5,
          `The resource 'projects/cce4long-prod/zones/us-central1-a/instances/${NAME}' was not found`,
        );
      },
    });
    expect(await launcher.status(REF)).toEqual({ state: "gone" });
  });

  it("error: COMPUTE_REQUEST_REJECTED on permission denied, COMPUTE_PROVIDER_UNAVAILABLE on 5xx", async () => {
    const denied = harness({
      get: async () => {
        throw gaxError(7, "Required 'compute.instances.get' permission");
      },
    });
    expect((await rejection(denied.launcher.status(REF))).code).toBe("COMPUTE_REQUEST_REJECTED");
    const down = harness({
      get: async () => {
        throw gaxError(13, "Internal error", { httpStatusCode: 500 });
      },
    });
    expect((await rejection(down.launcher.status(REF))).code).toBe("COMPUTE_PROVIDER_UNAVAILABLE");
  });

  it("error: VALIDATION_FAILED for a ref this launcher did not make, without calling GCE", async () => {
    const { launcher, calls } = harness({});
    for (const ref of ["local:123", "gce:cce4long-prod/us-central1-a/some-other-vm", ""]) {
      expect((await rejection(launcher.status(ref))).code).toBe("VALIDATION_FAILED");
    }
    expect(calls).toEqual([]);
  });
});

describe("GceComputeLauncher.destroy", () => {
  it("sends the exact delete request and waits for the operation", async () => {
    const { launcher, calls } = harness({});
    expect(await launcher.destroy(REF)).toEqual({ alreadyGone: false });
    expect(calls).toStrictEqual([
      { method: "delete", request: { project: "cce4long-prod", zone: "us-central1-a", instance: NAME } },
      { method: "wait", request: WAIT_REQUEST },
    ]);
  });

  it("treats not found on delete as success (deleted by its deadline, or never created)", async () => {
    const { launcher } = harness({
      delete: async () => {
        throw gaxError(
          5,
          `The resource 'projects/cce4long-prod/zones/us-central1-a/instances/${NAME}' was not found`,
        );
      },
    });
    expect(await launcher.destroy(REF)).toEqual({ alreadyGone: true });
  });

  it("treats RESOURCE_NOT_FOUND in the delete operation as success", async () => {
    const { launcher } = harness({
      waits: [
        async () => op("DONE", { error: { errors: [{ code: "RESOURCE_NOT_FOUND", message: "gone" }] } }),
      ],
    });
    expect(await launcher.destroy(REF)).toEqual({ alreadyGone: true });
  });

  it("tears down a VM whose ref was never stored, through refForJob", async () => {
    const { launcher, calls } = harness({});
    await launcher.destroy(launcher.refForJob(JOB_ID));
    expect(calls[0]).toStrictEqual({
      method: "delete",
      request: { project: "cce4long-prod", zone: "us-central1-a", instance: NAME },
    });
  });

  it("error: COMPUTE_PROVIDER_UNAVAILABLE when the delete cannot be confirmed (the dispatcher retries)", async () => {
    const { launcher } = harness({
      delete: async () => {
        throw gaxError(14, "503 Service Unavailable", { httpStatusCode: 503 });
      },
    });
    expect((await rejection(launcher.destroy(REF))).code).toBe("COMPUTE_PROVIDER_UNAVAILABLE");
    const stuck = harness({ waits: [async () => op("RUNNING")] });
    expect((await rejection(stuck.launcher.destroy(REF))).code).toBe("COMPUTE_PROVIDER_UNAVAILABLE");
  });
});
