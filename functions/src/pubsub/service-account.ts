/**
 * OAuth 2.0 access tokens for Google APIs from a service-account key, in workerd (RFC 7523 JWT
 * bearer grant): an RS256-signed JWT assertion made with WebCrypto, exchanged at the key's token_uri.
 * Production Pub/Sub publishing uses it; the local emulator needs no token (noAccessToken).
 */
import { Cce4longError } from "@cce4long/protocol";
import { z } from "zod";

export const PUBSUB_SCOPE = "https://www.googleapis.com/auth/pubsub";
const GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token";
const ASSERTION_LIFETIME_SECONDS = 3600;
/** Refresh this long before Google's expiry so a token never expires in flight. */
const REFRESH_MARGIN_SECONDS = 60;

/** The fields of a Google service-account key file (JSON) that the grant needs. */
export const ServiceAccountKeySchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "must be the JSON of a service-account key" });
      return z.NEVER;
    }
  })
  .pipe(
    z.object({
      type: z.literal("service_account"),
      client_email: z.email(),
      private_key_id: z.string().min(1).optional(),
      private_key: z
        .string()
        .includes("-----BEGIN PRIVATE KEY-----", { message: "must hold a PKCS#8 PEM key" }),
      token_uri: z.url({ protocol: /^https$/ }).default(GOOGLE_TOKEN_URI),
    }),
  );
export type ServiceAccountKey = z.output<typeof ServiceAccountKeySchema>;

/** Where outgoing calls get their bearer token; undefined means "send none" (the emulator). */
export interface AccessTokenSource {
  accessToken(nowMs: number): Promise<string | undefined>;
}

export const noAccessToken: AccessTokenSource = { accessToken: async () => undefined };

const TokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().int().positive(),
  token_type: z.string().optional(),
});

export class ServiceAccountTokenSource implements AccessTokenSource {
  private cached: { token: string; refreshAtMs: number } | undefined;
  private inflight: Promise<string> | undefined;
  private signingKey: Promise<CryptoKey> | undefined;

  constructor(
    private readonly key: ServiceAccountKey,
    private readonly fetcher: typeof fetch = (input, init) => fetch(input, init),
    private readonly scope: string = PUBSUB_SCOPE,
  ) {}

  async accessToken(nowMs: number): Promise<string> {
    if (this.cached !== undefined && nowMs < this.cached.refreshAtMs) return this.cached.token;
    // Concurrent requests share one exchange instead of each minting a token.
    this.inflight ??= this.exchange(nowMs).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** The signed JWT assertion (exported for tests that check its exact shape). */
  async assertion(nowSeconds: number): Promise<string> {
    const header = {
      alg: "RS256",
      typ: "JWT",
      ...(this.key.private_key_id ? { kid: this.key.private_key_id } : {}),
    };
    const claims = {
      iss: this.key.client_email,
      scope: this.scope,
      aud: this.key.token_uri,
      iat: nowSeconds,
      exp: nowSeconds + ASSERTION_LIFETIME_SECONDS,
    };
    const input = `${base64UrlJson(header)}.${base64UrlJson(claims)}`;
    this.signingKey ??= importPkcs8(this.key.private_key);
    const signature = await crypto.subtle.sign(
      "RSASSA-PKCS1-v1_5",
      await this.signingKey,
      new TextEncoder().encode(input),
    );
    return `${input}.${base64Url(new Uint8Array(signature))}`;
  }

  private async exchange(nowMs: number): Promise<string> {
    const nowSeconds = Math.floor(nowMs / 1000);
    let response: Response;
    try {
      response = await this.fetcher(this.key.token_uri, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
          assertion: await this.assertion(nowSeconds),
        }).toString(),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw unavailable("the token endpoint could not be reached", { cause: error });
    }
    const parsed = TokenResponseSchema.safeParse(await response.json().catch(() => null));
    if (!response.ok || !parsed.success) {
      // Google's error body names the reason (invalid_grant, ...) and holds no secret of ours.
      throw unavailable("the token exchange was refused", { status: response.status });
    }
    const refreshIn = Math.max(0, parsed.data.expires_in - REFRESH_MARGIN_SECONDS);
    this.cached = { token: parsed.data.access_token, refreshAtMs: nowMs + refreshIn * 1000 };
    return parsed.data.access_token;
  }
}

function unavailable(reason: string, extra: { cause?: unknown; status?: number }): Cce4longError {
  return new Cce4longError("QUEUE_UNAVAILABLE", "The job queue cannot be reached; try again", {
    cause: extra.cause,
    detail: { reason, status: extra.status },
  });
}

async function importPkcs8(pem: string): Promise<CryptoKey> {
  const body = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, "").replace(/\s+/g, "");
  const der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  return crypto.subtle.importKey("pkcs8", der, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, [
    "sign",
  ]);
}

function base64UrlJson(value: unknown): string {
  return base64Url(new TextEncoder().encode(JSON.stringify(value)));
}

function base64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
