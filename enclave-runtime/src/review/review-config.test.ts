/**
 * The review's configuration keys in config.ts (runs in tests): defaults, and the production
 * requirements (state dir and edge token) and pairing (edge URL with its events secret).
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../config";

const BASE = {
  CCE4LONG_DEPLOYMENT: "development",
  PRIVACY_PLANE_PORT: "8788",
  DSTACK_ENDPOINT: "/tmp/dstack.sock",
  RPC_URL: "http://127.0.0.1:8545",
  CONTRACTS_DEPLOYMENT_FILE: "/tmp/local.json",
  PUBSUB_PROJECT: "p",
  OBJECT_STORE_ENDPOINT: "http://127.0.0.1:9000",
  OBJECT_STORE_ACCESS_KEY_ID: "k",
  OBJECT_STORE_SECRET_ACCESS_KEY: "s",
};
const PRODUCTION = { ...BASE, CCE4LONG_DEPLOYMENT: "production", COMPUTE_LAUNCHER: "gce" };

describe("review configuration", () => {
  it("defaults to rejecting sets left 72 hours in review, swept every minute", () => {
    expect(parseConfig(BASE)).toMatchObject({
      REVIEW_TIMEOUT_HOURS: 72,
      REVIEW_TIMEOUT_ACTION: "reject",
      REVIEW_SWEEP_SECONDS: 60,
    });
  });

  it("keeps loaded fingerprint indexes in 256 MiB by default; refuses a budget that is not a whole MiB count", () => {
    expect(parseConfig(BASE).GATE_INDEX_CACHE_MIB).toBe(256);
    expect(parseConfig({ ...BASE, GATE_INDEX_CACHE_MIB: "0" }).GATE_INDEX_CACHE_MIB).toBe(0);
    for (const bad of ["-1", "1.5", "lots", "65537"]) {
      expect(() => parseConfig({ ...BASE, GATE_INDEX_CACHE_MIB: bad })).toThrow(/GATE_INDEX_CACHE_MIB/);
    }
  });

  it("refuses a production deployment without a state dir or an edge token", () => {
    expect(() => parseConfig(PRODUCTION)).toThrow(/PRIVACY_PLANE_STATE_DIR and PRIVACY_PLANE_API_TOKEN/);
    expect(() => parseConfig({ ...PRODUCTION, PRIVACY_PLANE_STATE_DIR: "/state" })).toThrow(/API_TOKEN/);
    expect(
      parseConfig({
        ...PRODUCTION,
        PRIVACY_PLANE_STATE_DIR: "/state",
        PRIVACY_PLANE_API_TOKEN: "t".repeat(32),
      }).PRIVACY_PLANE_STATE_DIR,
    ).toBe("/state");
  });

  it("needs the edge URL and the events secret together", () => {
    expect(() => parseConfig({ ...BASE, EDGE_API_URL: "http://127.0.0.1:8787" })).toThrow(/go together/);
    const secret = `whsec_${Buffer.alloc(32, 1).toString("base64")}`;
    expect(
      parseConfig({ ...BASE, EDGE_API_URL: "http://127.0.0.1:8787", PRIVACY_PLANE_EVENTS_SECRET: secret })
        .EDGE_API_URL,
    ).toBe("http://127.0.0.1:8787");
  });

  it("names a malformed timeout without its value", () => {
    expect(() => parseConfig({ ...BASE, REVIEW_TIMEOUT_ACTION: "ignore" })).toThrow(/REVIEW_TIMEOUT_ACTION/);
  });
});
