/**
 * The SDK's HTTP client for the edge API (runs on the user's machine): sign-in with Ethereum
 * (EIP-4361) to a role-scoped token, JSON requests, and RFC 9457 problem responses turned back
 * into typed errors with their stable code.
 */
import { Cce4longError, type ErrorCode, isErrorCode } from "@cce4long/protocol";
import type { LocalAccount } from "viem";
import { createSiweMessage } from "viem/siwe";

export type Role =
  | { kind: "consumer" }
  | { kind: "provider"; datasetId: string }
  | { kind: "reviewer"; datasetId: string };

export interface ApiClientOptions {
  baseUrl: string;
  fetch?: typeof fetch;
  /** Per-request timeout. */
  timeoutMs?: number;
}

interface Problem {
  code?: string;
  title?: string;
  detail?: string;
  status?: number;
}

export class ApiClient {
  readonly baseUrl: string;
  #token: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/$/, "");
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  get signedIn(): boolean {
    return this.#token !== undefined;
  }

  /** Signs a SIWE message for this API's domain and exchanges it for a token scoped to `role`. */
  async signIn(
    account: LocalAccount,
    options: { chainId: number; role?: Role },
  ): Promise<{ token: string; expiresAt: string }> {
    const { nonce } = await this.request<{ nonce: string }>("POST", "/v1/auth/nonce", {});
    const url = new URL(this.baseUrl);
    const message = createSiweMessage({
      address: account.address,
      chainId: options.chainId,
      domain: url.host,
      nonce,
      uri: this.baseUrl,
      version: "1",
      issuedAt: new Date(),
      statement: "Sign in to cce4long",
    });
    const signature = await account.signMessage({ message });
    const response = await this.request<{ token: string; expiresAt: string }>("POST", "/v1/auth/verify", {
      message,
      signature,
      role: options.role ?? { kind: "consumer" },
    });
    this.#token = response.token;
    return response;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    // no-cache: the API may serve public reads from a short-lived edge cache; a CLI user who has
    // just changed something on-chain must see it now.
    if (method === "GET") headers["cache-control"] = "no-cache";
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    let response: Response;
    try {
      response = await this.#fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (cause) {
      throw new Cce4longError("UNAVAILABLE", `the cce4long API at ${this.baseUrl} cannot be reached`, {
        cause,
      });
    }
    const text = await response.text();
    if (!response.ok) throw problemError(response.status, text);
    return (text.length > 0 ? JSON.parse(text) : undefined) as T;
  }
}

/** A typed error from an RFC 9457 problem body (or the status alone when the body is not one). */
export function problemError(status: number, text: string): Cce4longError {
  let problem: Problem = {};
  try {
    problem = JSON.parse(text) as Problem;
  } catch {
    // not JSON: keep the status only
  }
  const code: ErrorCode = isErrorCode(problem.code)
    ? problem.code
    : status >= 500
      ? "UNAVAILABLE"
      : "BAD_REQUEST";
  const message = problem.detail ?? problem.title ?? `HTTP ${status}`;
  return new Cce4longError(code, message, { detail: { status } });
}
