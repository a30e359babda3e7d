/**
 * The instance-metadata keys through which the Privacy Plane's GCE launcher hands a job to the boot
 * agent of its Confidential VM (runs anywhere). One definition for both sides of that contract.
 */
export const VM_METADATA_KEYS = {
  credential: "cce4long-job-credential",
  privacyPlaneUrl: "cce4long-privacy-plane-url",
  jobId: "cce4long-job-id",
  datasetId: "cce4long-dataset-id",
  imageDigest: "cce4long-image-digest",
} as const;
