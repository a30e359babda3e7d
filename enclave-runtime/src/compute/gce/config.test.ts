/**
 * Tests of the GCE launcher configuration (runs in Node under vitest; no network).
 */
import { describe, expect, it } from "vitest";
import { parseGceLauncherConfig } from "./config";

const GOOD_ENV = {
  GCE_PROJECT: "cce4long-prod",
  GCE_ZONE: "us-central1-a",
  GCE_NETWORK: "projects/cce4long-prod/global/networks/cce4long-jobs",
  GCE_SUBNETWORK:
    "https://www.googleapis.com/compute/v1/projects/cce4long-prod/regions/us-central1/subnetworks/jobs",
  GCE_IMAGE: "projects/cce4long-prod/global/images/cce4long-cvm-20261121-a334429",
  GCE_PRIVACY_PLANE_URL: "https://privacy.cce4long.example",
};

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error("expected a throw");
}

describe("parseGceLauncherConfig", () => {
  it("parses a minimal environment, stripping full compute URLs and applying defaults", () => {
    expect(parseGceLauncherConfig({ ...GOOD_ENV, UNRELATED: "x" })).toEqual({
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
    });
  });

  it("takes a service account with the read-only storage scope", () => {
    const config = parseGceLauncherConfig({
      ...GOOD_ENV,
      GCE_SERVICE_ACCOUNT_EMAIL: "cce4long-job-vm@cce4long-prod.iam.gserviceaccount.com",
      GCE_SERVICE_ACCOUNT_SCOPES: "https://www.googleapis.com/auth/devstorage.read_only",
    });
    expect(config.serviceAccount).toEqual({
      email: "cce4long-job-vm@cce4long-prod.iam.gserviceaccount.com",
      scopes: ["https://www.googleapis.com/auth/devstorage.read_only"],
    });
  });

  it("treats empty strings as unset", () => {
    expect(
      parseGceLauncherConfig({ ...GOOD_ENV, GCE_SERVICE_ACCOUNT_EMAIL: "", GCE_BOOT_DISK_GB: "" }),
    ).toMatchObject({ serviceAccount: null, bootDisk: { sizeGb: 20 } });
  });

  it("error: names every missing variable, never their values", () => {
    const error = errorOf(() => parseGceLauncherConfig({ GCE_PROJECT: "cce4long-prod" }));
    expect(error.code).toBe("CONFIG_INVALID");
    for (const name of ["GCE_ZONE", "GCE_NETWORK", "GCE_SUBNETWORK", "GCE_IMAGE", "GCE_PRIVACY_PLANE_URL"]) {
      expect(error.message).toContain(name);
    }
  });

  it("error: an image family instead of one exact image", () => {
    const error = errorOf(() =>
      parseGceLauncherConfig({
        ...GOOD_ENV,
        GCE_IMAGE: "projects/cce4long-prod/global/images/family/cce4long-cvm",
      }),
    );
    expect(error.message).toContain("GCE_IMAGE");
  });

  it("error: a machine type that cannot run TDX", () => {
    const error = errorOf(() =>
      parseGceLauncherConfig({ ...GOOD_ENV, GCE_MACHINE_TYPE_STANDARD: "n2d-standard-4" }),
    );
    expect(error.message).toContain("GCE_MACHINE_TYPE_STANDARD");
  });

  it("error: a Privacy Plane URL without TLS", () => {
    const error = errorOf(() =>
      parseGceLauncherConfig({ ...GOOD_ENV, GCE_PRIVACY_PLANE_URL: "http://pp.example" }),
    );
    expect(error.message).toContain("GCE_PRIVACY_PLANE_URL");
  });

  it("error: a subnetwork outside the zone's region", () => {
    const error = errorOf(() =>
      parseGceLauncherConfig({
        ...GOOD_ENV,
        GCE_SUBNETWORK: "projects/cce4long-prod/regions/europe-west4/subnetworks/jobs",
      }),
    );
    expect(error.message).toContain("GCE_SUBNETWORK");
  });

  it("error: scopes beyond read-only storage, or scopes without a service account", () => {
    const broad = errorOf(() =>
      parseGceLauncherConfig({
        ...GOOD_ENV,
        GCE_SERVICE_ACCOUNT_EMAIL: "cce4long-job-vm@cce4long-prod.iam.gserviceaccount.com",
        GCE_SERVICE_ACCOUNT_SCOPES: "https://www.googleapis.com/auth/cloud-platform",
      }),
    );
    expect(broad.message).toContain("GCE_SERVICE_ACCOUNT_SCOPES");
    const orphan = errorOf(() =>
      parseGceLauncherConfig({
        ...GOOD_ENV,
        GCE_SERVICE_ACCOUNT_SCOPES: "https://www.googleapis.com/auth/devstorage.read_only",
      }),
    );
    expect(orphan.message).toContain("GCE_SERVICE_ACCOUNT_SCOPES");
  });
});
