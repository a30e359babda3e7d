/**
 * The key-release route group of the Privacy Plane (runs inside the TEE): POST /v1/key-release.
 * The caller learns a stable code and a generic message; the log learns the reason and the detail.
 */
import { Cce4longError, isCce4longError } from "@cce4long/protocol";
import { Hono } from "hono";
import { denialReasonOf } from "../key-release/denial";
import { type KeyReleaseDeps, releaseKey } from "../key-release/release-key";
import { parseKeyReleaseRequest } from "../key-release/request";

const MAX_BODY_BYTES = 96 * 1024;

export function keyReleaseRoutes(
  deps: KeyReleaseDeps & { log(event: string, fields: Record<string, unknown>): void },
): Hono {
  const app = new Hono();
  app.post("/v1/key-release", async (c) => {
    const started = performance.now();
    const length = Number(c.req.header("content-length") ?? 0);
    if (length > MAX_BODY_BYTES) throw new Cce4longError("PAYLOAD_TOO_LARGE", "Request body too large");
    const json = await c.req.json().catch(() => {
      throw new Cce4longError("BAD_REQUEST", "Body must be JSON");
    });
    const request = parseKeyReleaseRequest(json);
    try {
      const { body, report } = await releaseKey(request, deps);
      deps.log("key-release.released", {
        jobId: body.jobId,
        datasetId: body.datasetId,
        keyVersions: body.wrappedKeys.map((entry) => entry.keyVersion),
        // How many read URLs went out, never the URLs.
        lowerObjects: body.lowerLayer.objects.length,
        teeType: report.teeType,
        tcbStatus: report.tcbStatus,
        measurementId: report.measurementId,
        ms: Math.round(performance.now() - started),
      });
      return c.json(body);
    } catch (error) {
      deps.log("key-release.denied", {
        code: isCce4longError(error) ? error.code : "INTERNAL",
        reason: denialReasonOf(error),
        detail: isCce4longError(error) ? error.detail : undefined,
        error: error instanceof Error ? error.message : String(error),
        ms: Math.round(performance.now() - started),
      });
      throw error;
    }
  });
  return app;
}
