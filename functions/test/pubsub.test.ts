/**
 * Pub/Sub publishing at its boundary, inside workerd with an injected fetch: the REST publish
 * request, and the service-account token (RS256 JWT assertion -> OAuth token exchange) that
 * production sends with it.
 */
import { Cce4longError } from "@cce4long/protocol";
import { describe, expect, it } from "vitest";
import { restPublisher } from "../src/pubsub/publisher";
import {
  noAccessToken,
  PUBSUB_SCOPE,
  ServiceAccountKeySchema,
  ServiceAccountTokenSource,
} from "../src/pubsub/service-account";

interface Call {
  url: string;
  init: RequestInit;
}

function recorder(answer: (call: Call) => Response) {
  const calls: Call[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const call = { url: String(input), init: init ?? {} };
    calls.push(call);
    return answer(call);
  }) as typeof fetch;
  return { calls, fetcher };
}

async function serviceAccount() {
  const pair = (await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  const b64 = btoa(String.fromCharCode(...pkcs8)).replace(/(.{64})/g, "$1\n");
  const key = ServiceAccountKeySchema.parse(
    JSON.stringify({
      type: "service_account",
      client_email: "edge-api@cce4long-prod.iam.gserviceaccount.com",
      private_key_id: "kid-1",
      private_key: `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`,
    }),
  );
  return { key, publicKey: pair.publicKey };
}

const decode = (part: string) => JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/")));
const bytes = (part: string) =>
  Uint8Array.from(
    atob(part.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (part.length % 4)) % 4)),
    (c) => c.charCodeAt(0),
  );

describe("ServiceAccountTokenSource", () => {
  it("exchanges an RS256 JWT assertion for a token at Google's token endpoint", async () => {
    const { key, publicKey } = await serviceAccount();
    const { calls, fetcher } = recorder(() =>
      Response.json({ access_token: "ya29.token-1", expires_in: 3599 }),
    );
    const source = new ServiceAccountTokenSource(key, fetcher);
    const now = 1_800_000_000_000;
    expect(await source.accessToken(now)).toBe("ya29.token-1");

    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe("https://oauth2.googleapis.com/token");
    expect(new Headers(calls[0]!.init.headers).get("content-type")).toBe("application/x-www-form-urlencoded");
    const form = new URLSearchParams(String(calls[0]!.init.body));
    expect(form.get("grant_type")).toBe("urn:ietf:params:oauth:grant-type:jwt-bearer");
    const [header, claims, signature] = form.get("assertion")!.split(".") as [string, string, string];
    expect(decode(header)).toEqual({ alg: "RS256", typ: "JWT", kid: "kid-1" });
    expect(decode(claims)).toEqual({
      iss: "edge-api@cce4long-prod.iam.gserviceaccount.com",
      scope: PUBSUB_SCOPE,
      aud: "https://oauth2.googleapis.com/token",
      iat: 1_800_000_000,
      exp: 1_800_003_600,
    });
    const valid = await crypto.subtle.verify(
      "RSASSA-PKCS1-v1_5",
      publicKey,
      bytes(signature),
      new TextEncoder().encode(`${header}.${claims}`),
    );
    expect(valid).toBe(true);
  });

  it("reuses the token until a minute before it expires, then fetches a new one", async () => {
    const { key } = await serviceAccount();
    let n = 0;
    const { calls, fetcher } = recorder(() => Response.json({ access_token: `t${++n}`, expires_in: 3600 }));
    const source = new ServiceAccountTokenSource(key, fetcher);
    const t0 = 1_800_000_000_000;
    expect(await source.accessToken(t0)).toBe("t1");
    expect(await source.accessToken(t0 + 3_539_000)).toBe("t1");
    expect(await source.accessToken(t0 + 3_540_000)).toBe("t2");
    expect(calls).toHaveLength(2);
  });

  it("shares one exchange between concurrent callers", async () => {
    const { key } = await serviceAccount();
    const { calls, fetcher } = recorder(() => Response.json({ access_token: "shared", expires_in: 3600 }));
    const source = new ServiceAccountTokenSource(key, fetcher);
    const tokens = await Promise.all([1, 2, 3].map(() => source.accessToken(1_800_000_000_000)));
    expect(tokens).toEqual(["shared", "shared", "shared"]);
    expect(calls).toHaveLength(1);
  });

  it("error: a refused exchange or an unreachable endpoint -> QUEUE_UNAVAILABLE, and nothing cached", async () => {
    const { key } = await serviceAccount();
    const refused = new ServiceAccountTokenSource(
      key,
      recorder(() => Response.json({ error: "invalid_grant" }, { status: 400 })).fetcher,
    );
    const error = await refused.accessToken(1_800_000_000_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Cce4longError);
    expect((error as Cce4longError).code).toBe("QUEUE_UNAVAILABLE");
    const down = new ServiceAccountTokenSource(key, (() =>
      Promise.reject(new TypeError("down"))) as typeof fetch);
    await expect(down.accessToken(1_800_000_000_000)).rejects.toMatchObject({ code: "QUEUE_UNAVAILABLE" });
  });

  it("error: the key schema refuses non-JSON, other key types and a missing PEM", () => {
    expect(ServiceAccountKeySchema.safeParse("not json").success).toBe(false);
    const base = { type: "service_account", client_email: "a@b.iam.gserviceaccount.com", private_key: "x" };
    expect(ServiceAccountKeySchema.safeParse(JSON.stringify(base)).success).toBe(false);
    const user = { ...base, type: "authorized_user", private_key: "-----BEGIN PRIVATE KEY-----\n" };
    expect(ServiceAccountKeySchema.safeParse(JSON.stringify(user)).success).toBe(false);
  });
});

describe("restPublisher", () => {
  it("POSTs base64 JSON with its attributes to the topic's :publish and returns the message id", async () => {
    const { calls, fetcher } = recorder(() => Response.json({ messageIds: ["42"] }));
    const publisher = restPublisher(
      {
        endpoint: "https://pubsub.googleapis.com/",
        project: "cce4long-prod",
        tokens: { accessToken: async () => "ya29.t" },
      },
      fetcher,
    );
    expect(await publisher.publish("cce4long-jobs", { hello: "wörld" }, { "cce4long-job-id": "0xab" })).toBe(
      "42",
    );
    expect(calls[0]!.url).toBe(
      "https://pubsub.googleapis.com/v1/projects/cce4long-prod/topics/cce4long-jobs:publish",
    );
    expect(new Headers(calls[0]!.init.headers).get("authorization")).toBe("Bearer ya29.t");
    const sent = JSON.parse(String(calls[0]!.init.body)) as {
      messages: { data: string; attributes: unknown }[];
    };
    const data = new TextDecoder().decode(
      Uint8Array.from(atob(sent.messages[0]!.data), (c) => c.charCodeAt(0)),
    );
    expect(JSON.parse(data)).toEqual({ hello: "wörld" });
    expect(sent.messages[0]!.attributes).toEqual({ "cce4long-job-id": "0xab" });
  });

  it("sends no authorization header to the emulator", async () => {
    const { calls, fetcher } = recorder(() => Response.json({ messageIds: ["1"] }));
    const publisher = restPublisher(
      { endpoint: "http://127.0.0.1:8085", project: "p", tokens: noAccessToken },
      fetcher,
    );
    await publisher.publish("t", {}, {});
    expect(new Headers(calls[0]!.init.headers).has("authorization")).toBe(false);
  });

  it("error: a refusal or an answer without one message id -> QUEUE_UNAVAILABLE", async () => {
    for (const answer of [
      () => Response.json({ error: { code: 404 } }, { status: 404 }),
      () => Response.json({ messageIds: [] }),
      () => new Response("<html>", { status: 200 }),
    ]) {
      const publisher = restPublisher(
        { endpoint: "http://127.0.0.1:8085", project: "p", tokens: noAccessToken },
        recorder(answer).fetcher,
      );
      await expect(publisher.publish("t", {}, {})).rejects.toMatchObject({ code: "QUEUE_UNAVAILABLE" });
    }
  });
});
