/**
 * The review state machine of one job's output set (runs inside the TEE), as a pure transition
 * function over an exhaustive table. Each state says which events it accepts and where they lead;
 * anything else is illegal. The chain enforces the same order (contracts/README.md, job state machine).
 *
 *   submitted --check-started--> checking
 *   checking --gate-auto-approved--> auto-approved --released--> released
 *   checking --gate-rejected--> rejected
 *   checking --gate-needs-review--> needs-review
 *   needs-review --reviewer-approved--> approved --released--> released
 *   needs-review --reviewer-rejected | timed-out--> rejected
 *   needs-review --reviewer-requested-changes--> changes-requested --resubmitted--> submitted
 *   any non-final state --failed--> failed
 */

export const REVIEW_STATES = [
  "submitted",
  "checking",
  "auto-approved",
  "needs-review",
  "approved",
  "rejected",
  "changes-requested",
  "released",
  "failed",
] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];

export const REVIEW_EVENTS = [
  "check-started",
  "gate-auto-approved",
  "gate-needs-review",
  "gate-rejected",
  "reviewer-approved",
  "reviewer-rejected",
  "reviewer-requested-changes",
  "timed-out",
  "released",
  "resubmitted",
  "failed",
] as const;
export type ReviewEvent = (typeof REVIEW_EVENTS)[number];

/** Every state, every event it accepts. A missing entry is an illegal transition. */
export const TRANSITIONS: Readonly<Record<ReviewState, Readonly<Partial<Record<ReviewEvent, ReviewState>>>>> =
  {
    submitted: { "check-started": "checking", failed: "failed" },
    checking: {
      "gate-auto-approved": "auto-approved",
      "gate-needs-review": "needs-review",
      "gate-rejected": "rejected",
      failed: "failed",
    },
    "auto-approved": { released: "released", failed: "failed" },
    "needs-review": {
      "reviewer-approved": "approved",
      "reviewer-rejected": "rejected",
      "reviewer-requested-changes": "changes-requested",
      "timed-out": "rejected",
      failed: "failed",
    },
    approved: { released: "released", failed: "failed" },
    "changes-requested": { resubmitted: "submitted", failed: "failed" },
    rejected: {},
    released: {},
    failed: {},
  };

export const FINAL_REVIEW_STATES: readonly ReviewState[] = REVIEW_STATES.filter(
  (s) => Object.keys(TRANSITIONS[s]).length === 0,
);

export type TransitionResult = { ok: true; next: ReviewState } | { ok: false; reason: string };

export function transition(state: ReviewState, event: ReviewEvent): TransitionResult {
  const next = TRANSITIONS[state][event];
  if (next === undefined) {
    return {
      ok: false,
      reason: FINAL_REVIEW_STATES.includes(state)
        ? `the output set is already ${state}`
        : `${event} is not allowed while the output set is ${state}`,
    };
  }
  return { ok: true, next };
}

export function isFinal(state: ReviewState): boolean {
  return FINAL_REVIEW_STATES.includes(state);
}
