/**
 * The local S3-compatible object store (development only; production uses GCS or R2).
 * s3rver stores the objects; in front of it this server accepts only requests signed with a known
 * key (SigV4, header or presigned), verifies declared payload hashes, and forwards over a private
 * unix socket — so, unlike s3rver alone, an unsigned or anonymous request never reaches the data.
 */
import { createHash } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { abortMultipart, parseAbortMultipart } from "./abort-multipart";
import { type Credentials, type SigV4Failure, verifySigV4 } from "./sigv4-verify";

const require = createRequire(import.meta.url);

/** Header-signed bodies with a concrete sha256 are buffered to check it; larger ones must stream unsigned. */
const MAX_HASHED_BODY = 64 * 1024 * 1024;

export interface ObjectStoreOptions {
  port: number;
  host?: string;
  /** Where objects live on disk (ciphertext only: the trusted parts never write plaintext here). */
  directory: string;
  credentials: readonly Credentials[];
  buckets: readonly string[];
}

export interface RunningObjectStore {
  endpoint: string;
  close(): Promise<void>;
}

interface S3rverInstance {
  configureBuckets(): Promise<void>;
  listen(path: string): Promise<Server>;
  close(): Promise<void>;
}

export async function startObjectStore(options: ObjectStoreOptions): Promise<RunningObjectStore> {
  const S3rver = require("@20minutes/s3rver") as new (opts: object) => S3rverInstance;
  const AWSAccount = require("@20minutes/s3rver/lib/models/account.js") as {
    DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void; revokeAccessKey(id: string): void };
  };
  // s3rver ships a well-known key pair; nothing should be able to use it.
  AWSAccount.DUMMY_ACCOUNT.revokeAccessKey("S3RVER");
  for (const c of options.credentials)
    AWSAccount.DUMMY_ACCOUNT.createKeyPair(c.accessKeyId, c.secretAccessKey);

  const privateDir = join(options.directory, ".socket");
  mkdirSync(privateDir, { recursive: true, mode: 0o700 });
  const socketPath = join(privateDir, "s3rver.sock");
  rmSync(socketPath, { force: true });

  const objectsDir = join(options.directory, "objects");
  const backend = new S3rver({
    directory: objectsDir,
    silent: true,
    // The front below is the authority on signatures; s3rver's own check mishandles some
    // bucket-level requests (it drops the trailing slash of the signed path).
    allowMismatchedSignatures: true,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  await backend.configureBuckets();
  const backendServer = await backend.listen(socketPath);

  const secrets = new Map(options.credentials.map((c) => [c.accessKeyId, c.secretAccessKey]));
  const front = createServer((req, res) => {
    handle(req, res, socketPath, objectsDir, (id) => secrets.get(id)).catch(() => {
      if (!res.headersSent) sendError(res, 500, "InternalError", "internal error");
      else res.destroy();
    });
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    front.once("error", reject);
    front.listen(options.port, host, () => resolve());
  });
  return {
    endpoint: `http://${host}:${options.port}`,
    async close() {
      await new Promise<void>((resolve) => front.close(() => resolve()));
      front.closeAllConnections();
      await new Promise<void>((resolve) => backendServer.close(() => resolve()));
      rmSync(socketPath, { force: true });
    },
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  socketPath: string,
  objectsDir: string,
  lookup: (id: string) => string | undefined,
): Promise<void> {
  const rawUrl = req.url ?? "/";
  if (req.method === "GET" && rawUrl === "/__health") {
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true,"service":"object-store"}');
    return;
  }
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const verdict = verifySigV4({ method: req.method ?? "GET", rawUrl, headers }, lookup);
  if (!verdict.ok) {
    req.resume();
    const [status, code] = failureResponse(verdict.reason);
    sendError(
      res,
      status,
      code,
      "request refused: it must be signed with a valid, unexpired AWS SigV4 signature",
    );
    return;
  }

  let body: Buffer | undefined;
  if (/^[0-9a-f]{64}$/.test(verdict.payloadHash)) {
    const buffered = await readBody(req, MAX_HASHED_BODY);
    if (buffered === undefined) {
      sendError(
        res,
        413,
        "EntityTooLarge",
        `signed payloads over ${MAX_HASHED_BODY} bytes must use UNSIGNED-PAYLOAD`,
      );
      return;
    }
    if (createHash("sha256").update(buffered).digest("hex") !== verdict.payloadHash) {
      sendError(res, 400, "XAmzContentSHA256Mismatch", "the body does not match x-amz-content-sha256");
      return;
    }
    body = buffered;
  }
  // s3rver lacks AbortMultipartUpload; the front answers it (signature already checked above).
  const abort = parseAbortMultipart(req.method, rawUrl);
  if (abort !== undefined) {
    req.resume();
    await abortMultipart(objectsDir, abort, res);
    return;
  }
  forward(req, res, socketPath, body);
}

function forward(
  req: IncomingMessage,
  res: ServerResponse,
  socketPath: string,
  body: Buffer | undefined,
): void {
  const upstream = httpRequest(
    { socketPath, method: req.method, path: req.url, headers: req.headers },
    (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      upstreamRes.pipe(res);
    },
  );
  upstream.on("error", () => {
    if (!res.headersSent) sendError(res, 502, "InternalError", "object store backend unavailable");
    else res.destroy();
  });
  if (body !== undefined) upstream.end(body);
  else req.pipe(upstream);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function failureResponse(reason: SigV4Failure): [number, string] {
  switch (reason) {
    case "unsigned":
      return [403, "AccessDenied"];
    case "unknown-access-key":
      return [403, "InvalidAccessKeyId"];
    case "expired":
      return [403, "AccessDenied"];
    case "clock-skew":
      return [403, "RequestTimeTooSkewed"];
    case "bad-signature":
      return [403, "SignatureDoesNotMatch"];
    case "malformed":
    case "unsupported-algorithm":
      return [400, "AuthorizationQueryParametersError"];
  }
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  res
    .writeHead(status, { "content-type": "application/xml" })
    .end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    );
}
