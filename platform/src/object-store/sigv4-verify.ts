/**
 * AWS Signature Version 4 verification for the local object store (development only; in
 * production the object store itself — GCS, R2, S3 — does this). Verifies both header-signed and
 * presigned (query) requests, checks the clock skew and the presigned expiry, compares signatures
 * in constant time. Spec: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface IncomingSignedRequest {
  method: string;
  /** Path and query exactly as received (e.g. `/bucket/key?X-Amz-...`). */
  rawUrl: string;
  /** Lower-cased header names; repeated headers joined with ",". */
  headers: Record<string, string | undefined>;
}

export type SigV4Failure =
  | "unsigned"
  | "malformed"
  | "unknown-access-key"
  | "expired"
  | "clock-skew"
  | "bad-signature"
  | "unsupported-algorithm";

export type SigV4Result =
  | { ok: true; accessKeyId: string; payloadHash: string }
  | { ok: false; reason: SigV4Failure };

const ALGORITHM = "AWS4-HMAC-SHA256";
/** S3 allows presigned URLs to live at most 7 days. */
const MAX_PRESIGN_SECONDS = 604_800;
/** S3 refuses header-signed requests whose date is more than 15 minutes off. */
const MAX_SKEW_MS = 15 * 60 * 1000;

interface ParsedAuth {
  accessKeyId: string;
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  expiresSeconds?: number;
  payloadHash: string;
}

export function verifySigV4(
  request: IncomingSignedRequest,
  lookup: (accessKeyId: string) => string | undefined,
  now: Date = new Date(),
): SigV4Result {
  const url = new URL(request.rawUrl, "http://placeholder");
  const parsed = parseAuth(request, url);
  if (!("accessKeyId" in parsed)) return parsed;

  const secret = lookup(parsed.accessKeyId);
  if (secret === undefined) return { ok: false, reason: "unknown-access-key" };

  const signedAt = parseAmzDate(parsed.amzDate);
  if (signedAt === undefined || !parsed.amzDate.startsWith(parsed.scopeDate)) {
    return { ok: false, reason: "malformed" };
  }
  if (parsed.expiresSeconds !== undefined) {
    if (now.getTime() > signedAt + parsed.expiresSeconds * 1000) return { ok: false, reason: "expired" };
    if (signedAt - now.getTime() > MAX_SKEW_MS) return { ok: false, reason: "clock-skew" };
  } else if (Math.abs(now.getTime() - signedAt) > MAX_SKEW_MS) {
    return { ok: false, reason: "clock-skew" };
  }

  const canonical = canonicalRequest(request, url, parsed);
  if (canonical === undefined) return { ok: false, reason: "malformed" };
  const scope = `${parsed.scopeDate}/${parsed.region}/${parsed.service}/aws4_request`;
  const stringToSign = [ALGORITHM, parsed.amzDate, scope, sha256Hex(canonical)].join("\n");
  const signingKey = deriveSigningKey(secret, parsed.scopeDate, parsed.region, parsed.service);
  const expected = createHmac("sha256", signingKey).update(stringToSign, "utf8").digest();
  signingKey.fill(0);

  const provided = Buffer.from(parsed.signature, "hex");
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) {
    return { ok: false, reason: "bad-signature" };
  }
  return { ok: true, accessKeyId: parsed.accessKeyId, payloadHash: parsed.payloadHash };
}

function parseAuth(
  request: IncomingSignedRequest,
  url: URL,
): ParsedAuth | { ok: false; reason: SigV4Failure } {
  const authorization = request.headers.authorization;
  const queryAlgorithm = url.searchParams.get("X-Amz-Algorithm");
  if (authorization !== undefined && queryAlgorithm !== null) return { ok: false, reason: "malformed" };

  if (queryAlgorithm !== null) {
    if (queryAlgorithm !== ALGORITHM) return { ok: false, reason: "unsupported-algorithm" };
    const credential = url.searchParams.get("X-Amz-Credential");
    const amzDate = url.searchParams.get("X-Amz-Date");
    const expires = url.searchParams.get("X-Amz-Expires");
    const signedHeaders = url.searchParams.get("X-Amz-SignedHeaders");
    const signature = url.searchParams.get("X-Amz-Signature");
    if (!credential || !amzDate || !expires || !signedHeaders || !signature)
      return { ok: false, reason: "malformed" };
    const expiresSeconds = Number(expires);
    if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > MAX_PRESIGN_SECONDS) {
      return { ok: false, reason: "malformed" };
    }
    const scope = parseCredential(credential);
    if (!scope || !/^[0-9a-f]{64}$/.test(signature)) return { ok: false, reason: "malformed" };
    return {
      ...scope,
      signedHeaders: signedHeaders.split(";"),
      signature,
      amzDate,
      expiresSeconds,
      payloadHash: url.searchParams.get("X-Amz-Content-Sha256") ?? "UNSIGNED-PAYLOAD",
    };
  }

  if (authorization === undefined) return { ok: false, reason: "unsigned" };
  const [algorithm, ...rest] = authorization.trim().split(/\s+/);
  if (algorithm !== ALGORITHM) return { ok: false, reason: "unsupported-algorithm" };
  const fields = new Map<string, string>();
  for (const part of rest.join("").split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const scope = parseCredential(fields.get("Credential") ?? "");
  const signedHeaders = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  const amzDate = request.headers["x-amz-date"];
  const payloadHash = request.headers["x-amz-content-sha256"];
  if (
    !scope ||
    !signedHeaders ||
    !signature ||
    !amzDate ||
    !payloadHash ||
    !/^[0-9a-f]{64}$/.test(signature)
  ) {
    return { ok: false, reason: "malformed" };
  }
  const headerList = signedHeaders.split(";");
  // The signature must cover the host and the declared payload hash, or a request could be
  // replayed against another host or with another body.
  if (!headerList.includes("host") || !headerList.includes("x-amz-content-sha256")) {
    return { ok: false, reason: "malformed" };
  }
  return { ...scope, signedHeaders: headerList, signature, amzDate, payloadHash };
}

function parseCredential(
  credential: string,
): { accessKeyId: string; scopeDate: string; region: string; service: string } | undefined {
  const parts = credential.split("/");
  if (parts.length !== 5 || parts[4] !== "aws4_request") return undefined;
  const [accessKeyId, scopeDate, region, service] = parts as [string, string, string, string];
  if (!accessKeyId || !/^\d{8}$/.test(scopeDate) || !region || service !== "s3") return undefined;
  return { accessKeyId, scopeDate, region, service };
}

function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
}

function canonicalRequest(request: IncomingSignedRequest, url: URL, parsed: ParsedAuth): string | undefined {
  const headerLines: string[] = [];
  for (const name of parsed.signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return undefined;
    headerLines.push(`${name}:${value.trim().replace(/\s+/g, " ")}\n`);
  }
  const query = [...url.searchParams.entries()]
    .filter(([key]) => key !== "X-Amz-Signature")
    .map(([key, value]) => [rfc3986(key), rfc3986(value)] as const)
    .sort(([ak, av], [bk, bv]) => (ak === bk ? compare(av, bv) : compare(ak, bk)))
    .map(([key, value]) => `${key}=${value}`)
    .join("&");
  // S3 does not normalise the path: the canonical URI is the path as the client encoded it.
  const rawPath = request.rawUrl.split("?")[0] ?? "/";
  return [
    request.method.toUpperCase(),
    canonicalPath(rawPath),
    query,
    headerLines.join(""),
    parsed.signedHeaders.join(";"),
    parsed.payloadHash,
  ].join("\n");
}

function canonicalPath(rawPath: string): string {
  return rawPath
    .split("/")
    .map((segment) => rfc3986(decodeURIComponent(segment)))
    .join("/");
}

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sha256Hex(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac("sha256", `AWS4${secret}`).update(date).digest();
  const kRegion = createHmac("sha256", kDate).update(region).digest();
  const kService = createHmac("sha256", kRegion).update(service).digest();
  return createHmac("sha256", kService).update("aws4_request").digest();
}
