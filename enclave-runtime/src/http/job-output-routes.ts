/**
 * The job-output route group of the Privacy Plane (runs inside the TEE): POST /v1/jobs/:jobId/outputs,
 * where a job VM delivers its sealed outputs and status report (authenticated by its Job Credential as a
 * bearer token and the outputs token from its key release).
 */
import { Cce4longError } from "@cce4long/protocol";
import { OUTPUTS_TOKEN_HEADER, SealedOutputsSchema } from "@cce4long/protocol/jobs/output-bundle";
import { Hono } from "hono";
import type { Hex } from "viem";
import { type ReceiveOutputsDeps, receiveOutputs } from "../jobs/receive-outputs";

/** Outputs are bounded by the spec (at most 1 GiB in the schema); this service takes 256 MiB per job. */
const MAX_BODY_BYTES = 256 * 1024 * 1024;

export function jobOutputRoutes(deps: ReceiveOutputsDeps): Hono {
  const app = new Hono();
  app.post("/v1/jobs/:jobId/outputs", async (c) => {
    const jobId = c.req.param("jobId");
    if (!/^0x[0-9a-f]{64}$/.test(jobId)) throw new Cce4longError("NOT_FOUND", "Not found");
    const auth = c.req.header("authorization") ?? "";
    const credential = auth.startsWith("Bearer ") ? auth.slice("Bearer ".length) : "";
    const outputsToken = c.req.header(OUTPUTS_TOKEN_HEADER) ?? "";
    if (!credential || !outputsToken) throw new Cce4longError("AUTH_REQUIRED", "Authentication required");
    if (Number(c.req.header("content-length") ?? 0) > MAX_BODY_BYTES) {
      throw new Cce4longError("PAYLOAD_TOO_LARGE", "Request body too large");
    }
    const json = await c.req.json().catch(() => {
      throw new Cce4longError("BAD_REQUEST", "Body must be JSON");
    });
    const sealed = SealedOutputsSchema.safeParse(json);
    if (!sealed.success) throw new Cce4longError("VALIDATION_FAILED", "Invalid sealed outputs");
    const result = await receiveOutputs(
      { jobId: jobId as Hex, credential, outputsToken, sealed: sealed.data },
      deps,
    );
    return c.json({ jobId, ...result });
  });
  return app;
}
