/**
 * The review state machine's transition table (runs in tests): every (state, event) pair, legal
 * and illegal, against the table written out by hand here.
 */
import { describe, expect, it } from "vitest";
import {
  FINAL_REVIEW_STATES,
  REVIEW_EVENTS,
  REVIEW_STATES,
  type ReviewEvent,
  type ReviewState,
  transition,
} from "./states";

const LEGAL: ReadonlyArray<[ReviewState, ReviewEvent, ReviewState]> = [
  ["submitted", "check-started", "checking"],
  ["submitted", "failed", "failed"],
  ["checking", "gate-auto-approved", "auto-approved"],
  ["checking", "gate-needs-review", "needs-review"],
  ["checking", "gate-rejected", "rejected"],
  ["checking", "failed", "failed"],
  ["auto-approved", "released", "released"],
  ["auto-approved", "failed", "failed"],
  ["needs-review", "reviewer-approved", "approved"],
  ["needs-review", "reviewer-rejected", "rejected"],
  ["needs-review", "reviewer-requested-changes", "changes-requested"],
  ["needs-review", "timed-out", "rejected"],
  ["needs-review", "failed", "failed"],
  ["approved", "released", "released"],
  ["approved", "failed", "failed"],
  ["changes-requested", "resubmitted", "submitted"],
  ["changes-requested", "failed", "failed"],
];

describe("review state machine", () => {
  it.each(LEGAL)("allows %s --%s--> %s", (from, event, to) => {
    expect(transition(from, event)).toEqual({ ok: true, next: to });
  });

  const illegal = REVIEW_STATES.flatMap((s) =>
    REVIEW_EVENTS.filter((e) => !LEGAL.some(([f, ev]) => f === s && ev === e)).map((e) => [s, e] as const),
  );
  it.each(illegal)("refuses %s --%s-->", (from, event) => {
    const result = transition(from, event);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(from);
  });

  it("covers every pair exactly once between the legal and illegal lists", () => {
    expect(LEGAL.length + illegal.length).toBe(REVIEW_STATES.length * REVIEW_EVENTS.length);
  });

  it("has rejected, released and failed as its only final states", () => {
    expect([...FINAL_REVIEW_STATES].sort()).toEqual(["failed", "rejected", "released"]);
  });

  it("never releases twice: released accepts no event at all", () => {
    for (const event of REVIEW_EVENTS) expect(transition("released", event).ok).toBe(false);
  });
});
