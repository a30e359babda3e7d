/**
 * INSECURE, development only: POST /v1/insecure/jobs/:jobId/outputs hands an output set straight to
 * the review, without the job VM's credential, attestation or HPKE sealing (runs in the local
 * Privacy Plane only). It lets tests and demos drive the gate and review through HTTP before a job
 * has really run. Refused at construction unless the deployment is "development".
 */
import { Cce4longError } from "@cce4long/protocol";
import { declaredOutputSchema } from "@cce4long/protocol/jobs/declared-outputs";
import { Hono } from "hono";
import type { Hex } from "viem";
import { z } from "zod";
import { requireEdgeToken } from "../../http/edge-auth";
import type { ReviewService } from "../review-service";

const BodySchema = z.strictObject({
  declared: z.array(declaredOutputSchema).max(100),
  files: z
    .array(z.strictObject({ path: z.string().min(1).max(512), data: z.string().max(16 * 1024 * 1024) }))
    .max(100),
  measurementId: z
    .string()
    .regex(/^0x[0-9a-f]{64}$/)
    .optional(),
});

export function devOutputRoutes(options: {
  deployment: "development" | "production";
  service: ReviewService;
  apiToken: string | undefined;
}): Hono {
  if (options.deployment !== "development") {
    throw new Cce4longError(
      "INSECURE_DEV_REFUSED",
      "The development output route is refused outside development",
    );
  }
  const app = new Hono();
  app.use("/v1/insecure/*", requireEdgeToken(options.apiToken));
  app.post("/v1/insecure/jobs/:jobId/outputs", async (c) => {
    const jobId = c.req.param("jobId");
    if (!/^0x[0-9a-f]{64}$/.test(jobId)) throw new Cce4longError("NOT_FOUND", "Not found");
    const parsed = BodySchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) throw new Cce4longError("VALIDATION_FAILED", "Invalid output set");
    const record = await options.service.accept({
      jobId: jobId as Hex,
      declared: parsed.data.declared,
      measurementId: parsed.data.measurementId as Hex | undefined,
      files: parsed.data.files.map((f) => ({
        path: f.path,
        bytes: new Uint8Array(Buffer.from(f.data, "base64")),
      })),
    });
    return c.json({ jobId: record.jobId, state: record.state, outputsCommitment: record.outputsCommitment });
  });
  return app;
}
