/**
 * Numeric codes of the hub contract's enums and reason codes (runs anywhere).
 * The numbers are part of the on-chain record: never renumber, only append.
 */

/** `Jobs.JobStatus` in contracts/src/modules/Jobs.sol. */
export const JobStatus = {
  None: 0,
  Requested: 1,
  Dispatched: 2,
  KeyReleased: 3,
  OutputsSubmitted: 4,
  UnderReview: 5,
  ChangesRequested: 6,
  Approved: 7,
  Rejected: 8,
  ResultReleased: 9,
  Failed: 10,
  Cancelled: 11,
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

/** Statuses after which nothing more can be recorded for a job. */
export const FINAL_JOB_STATUSES: readonly JobStatus[] = [
  JobStatus.Rejected,
  JobStatus.ResultReleased,
  JobStatus.Failed,
  JobStatus.Cancelled,
];

/** `Jobs.OutputDecision`: the first three are the gate's (reviewer zero), the rest a reviewer's. */
export const OutputDecision = {
  None: 0,
  AutoApproved: 1,
  AutoRejected: 2,
  NeedsReview: 3,
  ReviewerApproved: 4,
  ReviewerRejected: 5,
  ReviewerChangesRequested: 6,
} as const;
export type OutputDecision = (typeof OutputDecision)[keyof typeof OutputDecision];

/** `ExploreSessions.ExploreSessionStatus`. */
export const ExploreSessionStatus = { None: 0, Open: 1, Closed: 2 } as const;
export type ExploreSessionStatus = (typeof ExploreSessionStatus)[keyof typeof ExploreSessionStatus];

/** `reasonCode` of `recordJobFailed` (uint16). Parts that need a new reason append one here. */
export const JobFailureReason = {
  Unspecified: 0,
  /** The VM never called back before the dispatch deadline. */
  Timeout: 1,
  /** The compute launcher could not start the VM. */
  LaunchFailed: 2,
  /** The VM's quote failed verification or bound the wrong key. */
  AttestationRejected: 3,
  /** Key release refused by policy (measurement, credential, replay). */
  KeyReleaseDenied: 4,
  /** The consumer's rental ended before the job could proceed. */
  RentalExpired: 5,
  /** The image digest is (no longer) allowed. */
  ImageNotAllowed: 6,
  /** The job's process exited non-zero. */
  JobExitedNonZero: 7,
  /** Outputs broke the size, count or type limits. */
  OutputLimitsExceeded: 8,
  /** The consumer cancelled after dispatch. */
  Cancelled: 9,
  /** The review timed out under the dataset's review policy. */
  ReviewTimedOut: 10,
  /** An internal error of the Privacy Plane. */
  Internal: 11,
  /**
   * The VM refused its lower layer before mounting it: the objects it was given are not the dataset
   * version the credential names (manifest root, file set, sizes, hashes or authenticated headers).
   */
  DatasetVersionMismatch: 12,
} as const;
export type JobFailureReason = (typeof JobFailureReason)[keyof typeof JobFailureReason];

/** `reasonCode` of `recordExploreSessionClosed` (uint16). */
export const ExploreCloseReason = {
  ClosedByConsumer: 0,
  TimeLimit: 1,
  RentalExpired: 2,
  Idle: 3,
  Error: 4,
} as const;
export type ExploreCloseReason = (typeof ExploreCloseReason)[keyof typeof ExploreCloseReason];
