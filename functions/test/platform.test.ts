/**
 * Cross-cutting behaviour of the edge API inside workerd: problem+json errors, request ids, CORS,
 * per-identity rate limits and the configuration check.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { bearer, expectProblem, get, mintTestToken, post } from "./helpers";
import { WORKER_TEST_SECRETS } from "./test-secrets";

/** The production-only secrets, shaped right (the key is not a real key: only its shape is checked here). */
const PRODUCTION_SECRETS = {
  PUBSUB_SERVICE_ACCOUNT_KEY: JSON.stringify({
    type: "service_account",
    client_email: "edge@cce4long-prod.iam.gserviceaccount.com",
    private_key: "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
  }),
  PRIVACY_PLANE_API_TOKEN: "p".repeat(40),
  PRIVACY_PLANE_EVENTS_SECRET: `whsec_${btoa("e".repeat(32))}`,
};

/** Calls the Worker with bindings changed from the test configuration. */
async function fetchWith(overrides: Record<string, unknown>, path: string, init?: RequestInit) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`http://localhost:8787${path}`, init),
    { ...env, ...WORKER_TEST_SECRETS, ...overrides },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

describe("errors", () => {
  it("an unknown route is a NOT_FOUND problem naming the path", async () => {
    const problem = await expectProblem(await get("/v1/nope"), 404, "NOT_FOUND");
    expect(problem).toMatchObject({ instance: "/v1/nope", title: "Not found" });
    expect(problem.detail).toBe("No route for GET /v1/nope");
  });

  it("GET /healthz answers ok", async () => {
    const response = await get("/healthz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, service: "edge-api" });
  });
});

describe("request ids", () => {
  it("echoes a well-formed x-request-id in the header and in problems", async () => {
    const response = await get("/v1/nope", { "x-request-id": "client-req-42" });
    expect(response.headers.get("x-request-id")).toBe("client-req-42");
    expect((await response.json()) as { requestId: string }).toMatchObject({ requestId: "client-req-42" });
  });

  it("makes one up when none is sent, also on success", async () => {
    const response = await get("/healthz");
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("replaces an id with unsafe characters or excessive length", async () => {
    const odd = await get("/healthz", { "x-request-id": "a b<script>" });
    expect(odd.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const long = await get("/healthz", { "x-request-id": "a".repeat(200) });
    expect(long.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("CORS", () => {
  it("allows a configured origin, on success and on problems", async () => {
    const ok = await get("/healthz", { origin: "http://localhost:8787" });
    expect(ok.headers.get("access-control-allow-origin")).toBe("http://localhost:8787");
    const problem = await get("/v1/nope", { origin: "http://localhost:8787" });
    expect(problem.headers.get("access-control-allow-origin")).toBe("http://localhost:8787");
    expect(problem.headers.get("access-control-expose-headers")).toContain("x-request-id");
  });

  it("does not allow an origin that is not configured", async () => {
    const response = await get("/healthz", { origin: "https://evil.example" });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers a preflight for a configured origin", async () => {
    const { SELF } = await import("cloudflare:test");
    const response = await SELF.fetch("http://localhost:8787/v1/auth/verify", {
      method: "OPTIONS",
      headers: {
        origin: "http://127.0.0.1:8787",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,authorization",
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:8787");
    expect(response.headers.get("access-control-allow-headers")).toContain("authorization");
  });
});

describe("rate limits per identity", () => {
  it("refuses the request past the limit with RATE_LIMITED and Retry-After", async () => {
    const headers = { "cf-connecting-ip": "198.51.100.7" };
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await fetchWith({ RATE_LIMIT_PER_MINUTE: "3" }, "/healthz", { headers })).status);
    expect(statuses).toEqual([200, 200, 200]);
    const refused = await fetchWith({ RATE_LIMIT_PER_MINUTE: "3" }, "/healthz", { headers });
    await expectProblem(refused, 429, "RATE_LIMITED");
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get("ratelimit-remaining")).toBe("0");
  });

  it("counts each IP and each signed-in address separately", async () => {
    const limit = { RATE_LIMIT_PER_MINUTE: "1" };
    const ip = (n: number) => ({ headers: { "cf-connecting-ip": `203.0.113.${n}` } });
    expect((await fetchWith(limit, "/healthz", ip(1))).status).toBe(200);
    expect((await fetchWith(limit, "/healthz", ip(1))).status).toBe(429);
    expect((await fetchWith(limit, "/healthz", ip(2))).status).toBe(200);
    // Same exhausted IP, but with a token: the limit follows the address instead.
    const token = await mintTestToken();
    expect(
      (await fetchWith(limit, "/healthz", { headers: { ...ip(1).headers, ...bearer(token) } })).status,
    ).toBe(200);
    expect(
      (await fetchWith(limit, "/healthz", { headers: { ...ip(9).headers, ...bearer(token) } })).status,
    ).toBe(429);
  });

  it("reports the remaining allowance on success", async () => {
    const response = await fetchWith({ RATE_LIMIT_PER_MINUTE: "5" }, "/healthz", {
      headers: { "cf-connecting-ip": "192.0.2.55" },
    });
    expect(response.headers.get("ratelimit-limit")).toBe("5");
    expect(response.headers.get("ratelimit-remaining")).toBe("4");
  });
});

describe("configuration", () => {
  it("refuses to serve with CONFIG_INVALID naming a missing variable", async () => {
    const problem = await expectProblem(
      await fetchWith({ RPC_URL: undefined }, "/healthz"),
      500,
      "CONFIG_INVALID",
    );
    expect(problem.detail).toContain("RPC_URL");
  });

  it("names a malformed secret without printing its value", async () => {
    const response = await fetchWith({ TOKEN_SECRET: "short-SECRET-value" }, "/healthz");
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(text).toContain("TOKEN_SECRET");
    expect(text).toContain("CONFIG_INVALID");
    expect(text).not.toContain("short-SECRET-value");
  });

  it("names every bad variable at once", async () => {
    const response = await fetchWith(
      { CHAIN_ID: "zero", HUB_ADDRESS: "0x12", DEPLOYMENT: "staging" },
      "/healthz",
    );
    const problem = await expectProblem(response, 500, "CONFIG_INVALID");
    for (const name of ["CHAIN_ID", "HUB_ADDRESS", "DEPLOYMENT"]) expect(problem.detail).toContain(name);
  });

  it("refuses the zero hub address", async () => {
    const response = await fetchWith({ HUB_ADDRESS: `0x${"0".repeat(40)}` }, "/healthz");
    expect((await expectProblem(response, 500, "CONFIG_INVALID")).detail).toContain("HUB_ADDRESS");
  });

  it("in production, refuses cleartext endpoints and wildcard CORS", async () => {
    const response = await fetchWith({ DEPLOYMENT: "production", ALLOWED_ORIGINS: "*" }, "/healthz");
    const problem = await expectProblem(response, 500, "CONFIG_INVALID");
    for (const name of [
      "RPC_URL",
      "PUBSUB_ENDPOINT",
      "OBJECT_STORE_ENDPOINT",
      "PRIVACY_PLANE_URL",
      "ALLOWED_ORIGINS",
    ]) {
      expect(problem.detail).toContain(name);
    }
  });

  it("serves a valid production configuration", async () => {
    const production = {
      DEPLOYMENT: "production",
      RPC_URL: "https://rpc.example",
      PUBSUB_ENDPOINT: "https://pubsub.googleapis.com",
      OBJECT_STORE_ENDPOINT: "https://storage.googleapis.com",
      PRIVACY_PLANE_URL: "https://privacy-plane.example",
      ALLOWED_ORIGINS: "https://app.example",
      SIWE_DOMAIN: "api.example",
      ...PRODUCTION_SECRETS,
    };
    expect((await fetchWith(production, "/healthz")).status).toBe(200);
  });

  it("in production, requires the Pub/Sub service account and the Privacy Plane secrets", async () => {
    const response = await fetchWith({ DEPLOYMENT: "production" }, "/healthz");
    const problem = await expectProblem(response, 500, "CONFIG_INVALID");
    for (const name of Object.keys(PRODUCTION_SECRETS))
      expect(problem.detail).toContain(`${name}: is required`);
  });

  it("names a malformed service-account key or events secret without printing them", async () => {
    const response = await fetchWith(
      { PUBSUB_SERVICE_ACCOUNT_KEY: "{not json XYZZY", PRIVACY_PLANE_EVENTS_SECRET: "whsec_!!PLUGH" },
      "/healthz",
    );
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(text).toContain("PUBSUB_SERVICE_ACCOUNT_KEY");
    expect(text).toContain("PRIVACY_PLANE_EVENTS_SECRET");
    expect(text).not.toContain("XYZZY");
    expect(text).not.toContain("PLUGH");
  });

  it("a bad configuration also blocks authenticated routes, before any token is read", async () => {
    const token = await mintTestToken();
    const response = await fetchWith({ MAX_BODY_BYTES: "12" }, "/v1/auth/session", {
      headers: bearer(token),
    });
    expect((await expectProblem(response, 500, "CONFIG_INVALID")).detail).toContain("MAX_BODY_BYTES");
  });
});

describe("body handling on every JSON route", () => {
  it("an empty body with a JSON content type is malformed JSON", async () => {
    await expectProblem(await post("/v1/auth/verify", ""), 400, "BAD_REQUEST");
  });
});
