/**
 * Sign-in with Ethereum and token checks, end to end through the Worker inside workerd.
 */

import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import type { SessionResponse, TokenResponse } from "@cce4long/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { nonceStub } from "../src/auth/nonce-store";
import { FakeChain } from "./fake-chain";
import {
  alice,
  bearer,
  bob,
  DATASET_1,
  DATASET_2,
  expectProblem,
  freshNonce,
  get,
  mintTestToken,
  post,
  signedSignIn,
  signInAsConsumer,
  siweMessage,
} from "./helpers";

describe("POST /v1/auth/nonce", () => {
  it("returns a distinct 64-hex-character nonce with its expiry each time", async () => {
    const first = await post("/v1/auth/nonce", {});
    expect(first.status).toBe(200);
    const a = (await first.json()) as { nonce: string; expiresAt: string };
    const b = (await (await post("/v1/auth/nonce", {})).json()) as { nonce: string };
    expect(a.nonce).toMatch(/^[0-9a-f]{64}$/);
    expect(b.nonce).not.toBe(a.nonce);
    const ttl = Date.parse(a.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(290_000);
    expect(ttl).toBeLessThanOrEqual(300_000);
  });

  it("forgets an unused nonce when its alarm fires", async () => {
    const nonce = await freshNonce();
    const stub = nonceStub(env.NONCE_STORE, nonce);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const response = await post("/v1/auth/verify", await signedSignIn({ nonce }));
    await expectProblem(response, 401, "AUTH_INVALID");
  });
});

describe("POST /v1/auth/verify", () => {
  it("issues a consumer token for the signer, usable on /v1/auth/session", async () => {
    const response = await post("/v1/auth/verify", await signedSignIn());
    expect(response.status).toBe(200);
    const body = (await response.json()) as TokenResponse;
    expect(body).toMatchObject({
      tokenType: "Bearer",
      address: alice.address,
      role: { kind: "consumer" },
      audience: "cce4long-api",
    });
    const ttl = Date.parse(body.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(890_000);
    expect(ttl).toBeLessThanOrEqual(900_000);

    const session = await get("/v1/auth/session", bearer(body.token));
    expect(session.status).toBe(200);
    expect((await session.json()) as SessionResponse).toMatchObject({
      address: alice.address,
      role: { kind: "consumer" },
      chainId: 31337,
      expiresAt: body.expiresAt,
    });
  });

  it("accepts the EIP-4361 scheme prefix on the domain line", async () => {
    const signed = await signedSignIn({ message: { scheme: "http" } });
    expect(signed.message.startsWith("http://localhost:8787 wants you")).toBe(true);
    expect((await post("/v1/auth/verify", signed)).status).toBe(200);
  });

  it("error: a replayed nonce is refused the second time", async () => {
    const signed = await signedSignIn();
    expect((await post("/v1/auth/verify", signed)).status).toBe(200);
    const problem = await expectProblem(await post("/v1/auth/verify", signed), 401, "AUTH_INVALID");
    expect(problem.detail).toBe("Sign-in failed: the signature or nonce is not valid");
  });

  it("error: a nonce past its expiry is refused", async () => {
    const nonce = await freshNonce();
    await runInDurableObject(nonceStub(env.NONCE_STORE, nonce), async (_instance, state) => {
      await state.storage.put("nonce", { expiresAtMs: Date.now() - 1 });
    });
    await expectProblem(await post("/v1/auth/verify", await signedSignIn({ nonce })), 401, "AUTH_INVALID");
  });

  it("error: a nonce this service never issued is refused", async () => {
    const signed = await signedSignIn({ nonce: "0123456789abcdef0123456789abcdef" });
    await expectProblem(await post("/v1/auth/verify", signed), 401, "AUTH_INVALID");
  });

  it("error: a message for another domain is refused, and the nonce stays usable", async () => {
    const nonce = await freshNonce();
    const wrong = await signedSignIn({ nonce, message: { domain: "evil.example" } });
    const problem = await expectProblem(await post("/v1/auth/verify", wrong), 401, "AUTH_INVALID");
    expect(problem.detail).toContain("domain must be localhost:8787");
    expect((await post("/v1/auth/verify", await signedSignIn({ nonce }))).status).toBe(200);
  });

  it("error: a message for another chain id is refused", async () => {
    const signed = await signedSignIn({ message: { chainId: 1 } });
    const problem = await expectProblem(await post("/v1/auth/verify", signed), 401, "AUTH_INVALID");
    expect(problem.detail).toContain("chain id must be 31337");
  });

  it("error: a signature by someone other than the message's address is refused, nonce kept", async () => {
    const nonce = await freshNonce();
    const message = siweMessage(nonce, { address: alice.address });
    const signature = await bob.signMessage({ message });
    await expectProblem(await post("/v1/auth/verify", { message, signature }), 401, "AUTH_INVALID");
    // The nonce was not burnt by the impostor: alice can still use it.
    const own = await alice.signMessage({ message });
    expect((await post("/v1/auth/verify", { message, signature: own })).status).toBe(200);
  });

  it("error: a message altered after signing is refused", async () => {
    const { message, signature } = await signedSignIn();
    const altered = message.replace("Sign in to cce4long", "Sign in to cce4long!");
    await expectProblem(await post("/v1/auth/verify", { message: altered, signature }), 401, "AUTH_INVALID");
  });

  it("error: a message that expired (expirationTime) is refused", async () => {
    const past = new Date(Date.now() - 120_000);
    const signed = await signedSignIn({
      message: { issuedAt: new Date(Date.now() - 180_000), expirationTime: past },
    });
    await expectProblem(await post("/v1/auth/verify", signed), 401, "AUTH_INVALID");
  });

  it("error: a message issued longer ago than a nonce lives is refused", async () => {
    const signed = await signedSignIn({ message: { issuedAt: new Date(Date.now() - 10 * 60_000) } });
    await expectProblem(await post("/v1/auth/verify", signed), 401, "AUTH_INVALID");
  });

  it("error: a message not valid until later (notBefore, issuedAt beyond the skew) is refused", async () => {
    const later = await signedSignIn({ message: { notBefore: new Date(Date.now() + 5 * 60_000) } });
    await expectProblem(await post("/v1/auth/verify", later), 401, "AUTH_INVALID");
    const future = await signedSignIn({ message: { issuedAt: new Date(Date.now() + 5 * 60_000) } });
    await expectProblem(await post("/v1/auth/verify", future), 401, "AUTH_INVALID");
  });

  it("tolerates wallet clocks up to the skew ahead", async () => {
    const ahead = await signedSignIn({ message: { issuedAt: new Date(Date.now() + 30_000) } });
    expect((await post("/v1/auth/verify", ahead)).status).toBe(200);
  });

  it("error: text that is not an EIP-4361 message is refused", async () => {
    const message = "hello, please let me in";
    const signature = await alice.signMessage({ message });
    const problem = await expectProblem(
      await post("/v1/auth/verify", { message, signature }),
      401,
      "AUTH_INVALID",
    );
    expect(problem.detail).toBe("Sign-in failed: not an EIP-4361 message");
  });

  describe("per-dataset roles, checked on-chain at issue time", () => {
    const chain = new FakeChain();
    beforeEach(() => {
      chain.datasets = [{ id: DATASET_1, provider: alice.address, reviewers: [bob.address] }];
      chain.down = false;
      chain.install();
    });
    afterEach(() => vi.restoreAllMocks());

    async function askFor(signer: typeof alice, role: unknown) {
      return post("/v1/auth/verify", { ...(await signedSignIn({ signer })), role });
    }

    it("grants the provider role to the dataset's provider, scoped to that dataset", async () => {
      const response = await askFor(alice, { kind: "provider", datasetId: DATASET_1 });
      expect(response.status).toBe(200);
      expect(((await response.json()) as TokenResponse).role).toEqual({
        kind: "provider",
        datasetId: DATASET_1,
      });
    });

    it("grants the reviewer role to a named reviewer", async () => {
      expect((await askFor(bob, { kind: "reviewer", datasetId: DATASET_1 })).status).toBe(200);
    });

    it("error: the provider role for someone else's dataset -> AUTH_FORBIDDEN", async () => {
      await expectProblem(
        await askFor(bob, { kind: "provider", datasetId: DATASET_1 }),
        403,
        "AUTH_FORBIDDEN",
      );
    });

    it("error: the reviewer role for someone not named -> AUTH_FORBIDDEN", async () => {
      await expectProblem(
        await askFor(alice, { kind: "reviewer", datasetId: DATASET_1 }),
        403,
        "AUTH_FORBIDDEN",
      );
    });

    it("error: a role on a dataset that does not exist -> AUTH_FORBIDDEN", async () => {
      await expectProblem(
        await askFor(alice, { kind: "provider", datasetId: DATASET_2 }),
        403,
        "AUTH_FORBIDDEN",
      );
    });

    it("error: the chain unreachable -> CHAIN_UNREACHABLE, and no token", async () => {
      chain.down = true;
      await expectProblem(
        await askFor(alice, { kind: "provider", datasetId: DATASET_1 }),
        503,
        "CHAIN_UNREACHABLE",
      );
    });
  });

  describe("validation", () => {
    const cases: [string, (s: { message: string; signature: string }) => unknown, string][] = [
      ["missing message", ({ signature }) => ({ signature }), "/message"],
      ["empty message", ({ signature }) => ({ message: "", signature }), "/message"],
      ["oversized message", ({ signature }) => ({ message: "x".repeat(4097), signature }), "/message"],
      ["missing signature", ({ message }) => ({ message }), "/signature"],
      ["short signature", ({ message }) => ({ message, signature: "0x1234" }), "/signature"],
      ["unknown role", (s) => ({ ...s, role: { kind: "admin" } }), "/role/kind"],
      ["provider role without dataset", (s) => ({ ...s, role: { kind: "provider" } }), "/role/datasetId"],
      [
        "dataset id not 32 bytes",
        (s) => ({ ...s, role: { kind: "reviewer", datasetId: "0x01" } }),
        "/role/datasetId",
      ],
      ["unknown audience", (s) => ({ ...s, audience: "somewhere-else" }), "/audience"],
      ["not an object", () => ["a", "b"], "/"],
    ];
    for (const [name, build, path] of cases) {
      it(`error: ${name} -> VALIDATION_FAILED at ${path}`, async () => {
        const signed = await signedSignIn();
        const problem = await expectProblem(
          await post("/v1/auth/verify", build(signed)),
          422,
          "VALIDATION_FAILED",
        );
        expect(problem.errors?.map((e) => e.path)).toContain(path);
      });
    }

    it("error: validation messages never echo the submitted values", async () => {
      const response = await post("/v1/auth/verify", { message: "x", signature: "0xdeadbeefSECRETVALUE" });
      const text = await response.text();
      expect(response.status).toBe(422);
      expect(text).not.toContain("SECRETVALUE");
    });
  });

  it("error: malformed JSON -> BAD_REQUEST", async () => {
    await expectProblem(await post("/v1/auth/verify", '{"message": "x",'), 400, "BAD_REQUEST");
  });

  it("error: a body that is not JSON -> UNSUPPORTED_MEDIA_TYPE", async () => {
    const response = await post("/v1/auth/verify", "message=x", {
      "content-type": "application/x-www-form-urlencoded",
    });
    await expectProblem(response, 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("error: a body over the size limit -> PAYLOAD_TOO_LARGE", async () => {
    const big = JSON.stringify({ message: "x".repeat(70_000), signature: "0x" });
    await expectProblem(await post("/v1/auth/verify", big), 413, "PAYLOAD_TOO_LARGE");
  });

  it("error: an oversized body without content-length (streamed) -> PAYLOAD_TOO_LARGE", async () => {
    const chunk = new TextEncoder().encode("x".repeat(16_384));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 6) return controller.close();
        sent += 1;
        controller.enqueue(chunk);
      },
    });
    const { SELF } = await import("cloudflare:test");
    const response = await SELF.fetch("http://localhost:8787/v1/auth/verify", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      // @ts-expect-error duplex is required by the fetch spec for streamed bodies; not in the types
      duplex: "half",
    });
    await expectProblem(response, 413, "PAYLOAD_TOO_LARGE");
  });
});

describe("GET /v1/auth/session (token checks)", () => {
  it("error: no token -> AUTH_REQUIRED", async () => {
    await expectProblem(await get("/v1/auth/session"), 401, "AUTH_REQUIRED");
  });

  it("error: a non-Bearer Authorization header -> AUTH_INVALID", async () => {
    await expectProblem(await get("/v1/auth/session", { authorization: "Basic YTpi" }), 401, "AUTH_INVALID");
  });

  it("error: a token whose payload was changed -> AUTH_INVALID", async () => {
    const token = await signInAsConsumer();
    const [header, payload, mac] = token.split(".") as [string, string, string];
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    claims.sub = bob.address;
    const forged = btoa(JSON.stringify(claims)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    await expectProblem(
      await get("/v1/auth/session", bearer(`${header}.${forged}.${mac}`)),
      401,
      "AUTH_INVALID",
    );
  });

  it("error: a token whose MAC was changed -> AUTH_INVALID", async () => {
    const token = await signInAsConsumer();
    const last = token.at(-2) === "A" ? "B" : "A";
    const tampered = `${token.slice(0, -2)}${last}${token.at(-1)}`;
    await expectProblem(await get("/v1/auth/session", bearer(tampered)), 401, "AUTH_INVALID");
  });

  it("error: a token signed with another secret -> AUTH_INVALID", async () => {
    const token = await mintTestToken({}, "another-secret-another-secret-another-secret");
    await expectProblem(await get("/v1/auth/session", bearer(token)), 401, "AUTH_INVALID");
  });

  it("error: an expired token -> AUTH_INVALID", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await mintTestToken({ iat: now - 1000, exp: now - 1 });
    await expectProblem(await get("/v1/auth/session", bearer(token)), 401, "AUTH_INVALID");
  });

  it("error: a token for another audience -> AUTH_INVALID", async () => {
    const token = await mintTestToken({ aud: "cce4long-privacy-plane" });
    await expectProblem(await get("/v1/auth/session", bearer(token)), 401, "AUTH_INVALID");
  });

  it("error: a token for another chain -> AUTH_INVALID", async () => {
    const token = await mintTestToken({ chainId: 1 });
    await expectProblem(await get("/v1/auth/session", bearer(token)), 401, "AUTH_INVALID");
  });

  it("a valid minted token for another role is described as such", async () => {
    const token = await mintTestToken({ role: { kind: "reviewer", datasetId: DATASET_2 } });
    const response = await get("/v1/auth/session", bearer(token));
    expect(response.status).toBe(200);
    expect(((await response.json()) as SessionResponse).role).toEqual({
      kind: "reviewer",
      datasetId: DATASET_2,
    });
  });
});
