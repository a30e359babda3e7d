/**
 * Taking a file out of an Explore session (runs on the consumer's machine): sends the declared output to
 * the session's export route on the Privacy Plane with the session's token and, so that a file the gate
 * holds for review can be delivered later, a fresh result key whose private half is written to a 0600
 * file and never sent. Auto-approved bytes come back at once; a held file becomes a review item fetched
 * like a job result once a reviewer approves it (docs/explore-mode.md).
 */
import { writeFileSync } from "node:fs";
import { Cce4longError, type ExploreExportResponse } from "@cce4long/protocol";
import type { DeclaredOutput } from "@cce4long/protocol/jobs/declared-outputs";
import { generateEphemeralKeyPair } from "@cce4long/sealing/ecdhe-wrap";
import { toHex } from "viem";
import { problemError } from "./api-client";

/** The gate checks the file before answering; a minute is far beyond what a notebook file takes. */
const EXPORT_TIMEOUT_MS = 60_000;

export interface ExploreExportInput {
  /** The session's URL on the Privacy Plane (…/v1/explore/sessions/<id>). */
  sessionUrl: string;
  token: string;
  output: DeclaredOutput;
  /** Where the result private key (64 hex digits) is written, mode 0600; created, never overwritten. */
  resultKeyFile: string;
}

export async function exportFromSession(input: ExploreExportInput): Promise<ExploreExportResponse> {
  const resultKey = generateEphemeralKeyPair();
  writeFileSync(input.resultKeyFile, Buffer.from(resultKey.privateKey).toString("hex"), {
    mode: 0o600,
    flag: "wx",
  });
  resultKey.privateKey.fill(0);
  let response: Response;
  try {
    response = await fetch(`${input.sessionUrl.replace(/\/+$/, "")}/exports`, {
      method: "POST",
      headers: { authorization: `Bearer ${input.token}`, "content-type": "application/json" },
      body: JSON.stringify({ output: input.output, resultPublicKey: toHex(resultKey.publicKey) }),
      signal: AbortSignal.timeout(EXPORT_TIMEOUT_MS),
    });
  } catch (cause) {
    throw new Cce4longError("PRIVACY_PLANE_UNAVAILABLE", "the session's Privacy Plane did not answer", {
      cause,
    });
  }
  const text = await response.text();
  // 200 released, 202 held for review, 403 rejected by the gate: all three carry the gate's report.
  if (response.status === 200 || response.status === 202 || response.status === 403) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (typeof body === "object" && body !== null && "report" in body) return body as ExploreExportResponse;
  }
  throw problemError(response.status, text);
}
