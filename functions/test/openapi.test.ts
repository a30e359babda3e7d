/**
 * The OpenAPI 3.1 document and the HTML reference, inside workerd: complete (every served route is
 * documented), built from the same zod schemas the handlers use, and readable offline.
 */
import { describe, expect, it } from "vitest";
import app from "../src/index";
import { get } from "./helpers";

interface Doc {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      { operationId: string; requestBody?: unknown; responses: Record<string, unknown>; security?: unknown }
    >
  >;
  components: { schemas: Record<string, unknown> };
}

async function document(): Promise<Doc> {
  const response = await get("/openapi.json");
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("application/json");
  return (await response.json()) as Doc;
}

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document", async () => {
    const doc = await document();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components.schemas.Problem).toMatchObject({ type: "object" });
  });

  it("documents exactly the routes the app serves", async () => {
    const served = new Set(
      app.routes
        .filter((r) => r.method !== "ALL")
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}`),
    );
    const doc = await document();
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`)),
    );
    expect([...documented].sort()).toEqual([...served].sort());
  });

  it("describes the verify body from the zod schema, with its defaults", async () => {
    const op = (await document()).paths["/v1/auth/verify"]!.post!;
    const schema = (
      op.requestBody as {
        content: Record<
          string,
          { schema: { required: string[]; properties: Record<string, { default?: unknown }> } }
        >;
      }
    ).content["application/json"]!.schema;
    expect(schema.required).toEqual(expect.arrayContaining(["message", "signature"]));
    expect(schema.properties.audience?.default).toBe("cce4long-api");
    expect(Object.keys(op.responses)).toEqual(
      expect.arrayContaining(["200", "401", "403", "413", "415", "422", "429", "503"]),
    );
  });

  it("marks protected operations with bearer security and their roles", async () => {
    const doc = await document();
    expect(doc.paths["/v1/auth/session"]!.get!.security).toEqual([{ bearer: [] }]);
    expect(doc.paths["/v1/auth/nonce"]!.post!.security).toBeUndefined();
  });
});

describe("GET /docs", () => {
  it("is a self-contained HTML page listing every operation and error code", async () => {
    const response = await get("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await response.text();
    for (const text of [
      "/v1/auth/nonce",
      "/v1/auth/verify",
      "/v1/auth/session",
      "/v1/jobs/{jobId}/result",
      "/v1/reviews/{jobId}/decision",
      "/v1/webhooks/trigger/{endpointId}",
      "/v1/internal/events",
      "WEBHOOK_SIGNATURE_INVALID",
      "AUTH_INVALID",
      "RATE_LIMITED",
    ]) {
      expect(html).toContain(text);
    }
    expect(html).not.toMatch(/<script|https?:\/\/(?!json-schema\.org)/i);
  });
});
