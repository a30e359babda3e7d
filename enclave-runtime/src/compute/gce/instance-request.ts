/**
 * Builds the exact `instances.insert` request for a job's Confidential VM (runs inside the TEE, Privacy
 * Plane). Pure: no client, no clock. Every field is here on purpose; see the comments for why.
 */

import { VM_METADATA_KEYS } from "@cce4long/protocol/jobs/vm-metadata";
import type { protos } from "@google-cloud/compute";
import type { LaunchJob } from "../launcher";
import type { GceLauncherConfig } from "./config";
import { insertRequestIdFor, instanceNameFor, jobLabels } from "./naming";

/**
 * GCE's own metadata switches, set so that nothing can log in even if the image were wrong: no project
 * SSH keys, no OS Login, no interactive serial console, no guest attributes channel.
 */
const LOCKDOWN_METADATA = [
  { key: "block-project-ssh-keys", value: "TRUE" },
  { key: "enable-oslogin", value: "FALSE" },
  { key: "serial-port-enable", value: "FALSE" },
  { key: "enable-guest-attributes", value: "FALSE" },
];

export function buildInsertRequest(
  config: GceLauncherConfig,
  job: LaunchJob,
): protos.google.cloud.compute.v1.IInsertInstanceRequest {
  const zone = config.zone;
  return {
    project: config.project,
    zone,
    requestId: insertRequestIdFor(job.jobId),
    instanceResource: {
      name: instanceNameFor(job.jobId),
      description: "cce4long Computing Plane: ephemeral VM for one Privacy Mode job",
      machineType: `zones/${zone}/machineTypes/${config.machineTypes[job.machineProfile]}`,
      // Intel TDX: memory encrypted and integrity-protected, measured into MRTD/RTMRs for attestation.
      confidentialInstanceConfig: { confidentialInstanceType: "TDX" },
      scheduling: {
        // A confidential VM cannot live-migrate; a restarted VM would re-run a job with a spent credential.
        onHostMaintenance: "TERMINATE",
        automaticRestart: false,
        provisioningModel: "STANDARD",
        // The backstop for a lost dispatcher: GCE itself deletes the VM at the deadline.
        maxRunDuration: { seconds: job.maxRunSeconds },
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
            // One exact image (never a family): the image is what the expected measurement names.
            sourceImage: config.image,
            diskSizeGb: config.bootDisk.sizeGb,
            diskType: `zones/${zone}/diskTypes/${config.bootDisk.type}`,
            labels: jobLabels(job.jobId),
          },
        },
      ],
      // No accessConfigs: no external IP. Egress goes through the VPC (Private Google Access / NAT as
      // the operator allows), and the VPC firewall and the image's nftables deny all but two endpoints.
      networkInterfaces: [
        { network: config.network, subnetwork: config.subnetwork, nicType: "GVNIC", stackType: "IPV4_ONLY" },
      ],
      // No service account unless configured; then only the configured (read-only storage) scopes.
      serviceAccounts: config.serviceAccount
        ? [{ email: config.serviceAccount.email, scopes: [...config.serviceAccount.scopes] }]
        : [],
      metadata: {
        items: [
          { key: VM_METADATA_KEYS.credential, value: job.credential },
          { key: VM_METADATA_KEYS.privacyPlaneUrl, value: config.privacyPlaneUrl },
          { key: VM_METADATA_KEYS.jobId, value: job.jobId },
          { key: VM_METADATA_KEYS.datasetId, value: job.datasetId },
          { key: VM_METADATA_KEYS.imageDigest, value: job.imageDigest },
          ...LOCKDOWN_METADATA,
        ],
      },
      labels: jobLabels(job.jobId),
      tags: { items: [config.networkTag] },
      deletionProtection: false,
      canIpForward: false,
    },
  };
}
