/**
 * requireRole on a route scoped to one dataset, through a small app mounted on the real middleware
 * (runs in workerd). The real per-dataset routes arrive with the chain bindings.
 */
import { createExecutionContext, env } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../src/env";
import { logError, problemBody, toProblem } from "../src/errors/problem";
import { requireRole } from "../src/middleware/auth";
import { commonMiddleware } from "../src/middleware/common";
import { bearer, DATASET_1, DATASET_2, expectProblem, mintTestToken } from "./helpers";
import { WORKER_TEST_SECRETS } from "./test-secrets";

const app = new Hono<AppEnv>();
app.onError((error, c) => {
  const context = { requestId: c.var.requestId, path: c.req.path };
  logError(error, context);
  return problemBody(c, toProblem(error, context));
});
app.use(...commonMiddleware());
app.get("/datasets/:id/audit", requireRole(["provider", "reviewer"], { datasetParam: "id" }), (c) =>
  c.text("ok"),
);
app.get("/consumers-only", requireRole(["consumer"]), (c) => c.text("ok"));

const AUDIT_1 = `/datasets/${DATASET_1}/audit`;

function call(path: string, token?: string) {
  return app.fetch(
    new Request(`http://localhost:8787${path}`, { headers: token ? bearer(token) : {} }),
    { ...env, ...WORKER_TEST_SECRETS },
    createExecutionContext(),
  );
}

describe("requireRole", () => {
  it("lets the provider of the dataset in", async () => {
    const token = await mintTestToken({ role: { kind: "provider", datasetId: DATASET_1 } });
    const response = await call(AUDIT_1, token);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("ok");
  });

  it("lets a reviewer of the dataset in when reviewers are allowed", async () => {
    const token = await mintTestToken({ role: { kind: "reviewer", datasetId: DATASET_1 } });
    expect((await call(AUDIT_1, token)).status).toBe(200);
  });

  it("matches the dataset id in the path whatever its hex letter case", async () => {
    const token = await mintTestToken({ role: { kind: "provider", datasetId: `0x${"ab".repeat(32)}` } });
    expect((await call(`/datasets/0x${"AB".repeat(32)}/audit`, token)).status).toBe(200);
  });

  it("error: the provider of another dataset -> AUTH_FORBIDDEN", async () => {
    const token = await mintTestToken({ role: { kind: "provider", datasetId: DATASET_2 } });
    const problem = await expectProblem(await call(AUDIT_1, token), 403, "AUTH_FORBIDDEN");
    expect(problem.detail).toBe("The token is scoped to another dataset");
  });

  it("error: the wrong role -> AUTH_FORBIDDEN", async () => {
    const consumer = await mintTestToken();
    await expectProblem(await call(AUDIT_1, consumer), 403, "AUTH_FORBIDDEN");
    const provider = await mintTestToken({ role: { kind: "provider", datasetId: DATASET_1 } });
    await expectProblem(await call("/consumers-only", provider), 403, "AUTH_FORBIDDEN");
  });

  it("error: no token -> AUTH_REQUIRED; expired -> AUTH_INVALID", async () => {
    await expectProblem(await call(AUDIT_1), 401, "AUTH_REQUIRED");
    const now = Math.floor(Date.now() / 1000);
    const expired = await mintTestToken({
      role: { kind: "provider", datasetId: DATASET_1 },
      iat: now - 900,
      exp: now,
    });
    await expectProblem(await call(AUDIT_1, expired), 401, "AUTH_INVALID");
  });

  it("error: a token for another audience -> AUTH_INVALID", async () => {
    const token = await mintTestToken({
      role: { kind: "provider", datasetId: DATASET_1 },
      aud: "cce4long-privacy-plane",
    });
    await expectProblem(await call(AUDIT_1, token), 401, "AUTH_INVALID");
  });
});
