/**
 * Wires the GCE launcher to the real @google-cloud/compute clients (runs inside the TEE, Privacy Plane).
 * Credentials come from Application Default Credentials of the Privacy Plane's workload identity.
 * Kept apart from gce-launcher.ts so tests never load the client library.
 */
import { InstancesClient, ZoneOperationsClient } from "@google-cloud/compute";
import type { GceLauncherConfig } from "./config";
import { GceComputeLauncher } from "./gce-launcher";

export function createGceComputeLauncher(config: GceLauncherConfig): GceComputeLauncher {
  return new GceComputeLauncher(config, {
    instances: new InstancesClient(),
    operations: new ZoneOperationsClient(),
  });
}
