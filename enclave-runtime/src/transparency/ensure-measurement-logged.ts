/**
 * Key release, transparency step (runs inside the TEE): the VM's measurement must be a `vm-measurement`
 * entry of the transparency log, proven by an inclusion proof against the head committed ON-CHAIN.
 * The log server is untrusted (it only supplies proofs); the chain supplies the head. A development
 * entry (the local insecure attester) is refused outside a development deployment.
 */
import { Cce4longError } from "@cce4long/protocol";
import type { EntryWithProof, LogHead } from "@cce4long/protocol/transparency/proofs";
import { verifyEntryInHead } from "@cce4long/protocol/transparency/proofs";
import type { Hex } from "viem";
import type { DeploymentKind } from "../attestation/quote-verifier";
import { KEY_RELEASE_DENIED_MESSAGE } from "../key-release/denial";

/** The stable refusal reason in the log detail (proposed for KEY_RELEASE_DENIAL in key-release/denial.ts). */
export const MEASUREMENT_NOT_LOGGED = "MEASUREMENT_NOT_LOGGED";

/** The head (size, root) committed on-chain: `readCommittedLogHead` from @cce4long/protocol/transparency. */
export interface CommittedLogHeadSource {
  committedHead(): Promise<LogHead>;
}

/** Whoever serves the log (file, object store, HTTP): the measurement's entry and proof in a tree of `treeSize`. */
export interface MeasurementProofSource {
  proveMeasurement(measurementId: Hex, treeSize: number): Promise<EntryWithProof | undefined>;
}

export interface EnsureMeasurementLoggedParams {
  measurementId: Hex;
  deployment: DeploymentKind;
  head: CommittedLogHeadSource;
  log: MeasurementProofSource;
}

/** Resolves with the proven entry; rejects with KEY_RELEASE_DENIED (reason MEASUREMENT_NOT_LOGGED) otherwise. */
export async function ensureMeasurementLogged(
  params: EnsureMeasurementLoggedParams,
): Promise<EntryWithProof> {
  const measurementId = params.measurementId.toLowerCase() as Hex;
  const deny = (problem: string, cause?: unknown, extra: Record<string, unknown> = {}) =>
    new Cce4longError("KEY_RELEASE_DENIED", KEY_RELEASE_DENIED_MESSAGE, {
      cause,
      detail: { reason: MEASUREMENT_NOT_LOGGED, problem, measurementId, ...extra },
    });

  let head: LogHead;
  try {
    head = await params.head.committedHead();
  } catch (cause) {
    throw deny("the committed log head could not be read", cause);
  }
  if (head.treeSize === 0)
    throw deny("no transparency log head has been committed on-chain", undefined, { head });

  let proven: EntryWithProof | undefined;
  try {
    proven = await params.log.proveMeasurement(measurementId, head.treeSize);
  } catch (cause) {
    throw deny("the transparency log could not be read", cause, { head });
  }
  if (proven === undefined) throw deny("the measurement is not in the log", undefined, { head });
  const { entry } = proven;
  if (entry.kind !== "vm-measurement" || entry.measurementId !== measurementId) {
    throw deny("the log answered with an entry for something else", undefined, { head, kind: entry.kind });
  }
  if (entry.origin === "development" && params.deployment !== "development") {
    throw deny("a development measurement is refused outside development", undefined, { head });
  }
  try {
    verifyEntryInHead(head, proven, `measurement ${measurementId}`);
  } catch (cause) {
    throw deny("the inclusion proof does not verify against the on-chain head", cause, {
      head,
      leafIndex: proven.inclusion.leafIndex,
    });
  }
  return proven;
}
