/**
 * The authenticating reverse proxy in front of a session's notebook server (runs inside the TEE). The
 * server listens only on a unix socket in the sandbox; this proxy is the one way in. It checks the
 * consumer's session token, refuses the server's own download paths, never lets a file's content out of
 * the contents API, and forwards HTTP and WebSocket traffic with the server's internal token.
 */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { request } from "node:http";
import { createConnection } from "node:net";
import type { Duplex } from "node:stream";
import { Readable } from "node:stream";
import { Cce4longError } from "@cce4long/protocol";

/** The cookie a browser gets after opening the session's URL with ?token= once (path-scoped to the session). */
export const SESSION_COOKIE = "cce4long_explore";
const MAX_CONTENTS_BYTES = 64 * 1024 * 1024;
/** Headers not forwarded in either direction (hop-by-hop, or ours). */
const DROPPED = new Set([
  "host",
  "authorization",
  "cookie",
  "origin",
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "x-forwarded-for",
  "x-cce4long-caller",
]);

export interface Upstream {
  socketPath: string;
  internalToken: string;
}

/**
 * Why a path under the session's base URL is refused, or null. `rest` is the path after the base URL.
 * The server's download and conversion handlers, and the terminal, are closed: files leave only through
 * the export endpoint and the Output Gate.
 */
export function refusedPath(rest: string): string | null {
  const path = rest.replace(/^\/+/, "");
  for (const prefix of ["files/", "nbconvert/", "view/", "terminals/", "api/terminals"]) {
    if (path === prefix.replace(/\/$/, "") || path.startsWith(prefix)) {
      return "Files leave an Explore session only through the export endpoint and the Output Gate";
    }
  }
  return null;
}

/** The token a request presents: bearer header first, then the session cookie. */
export function presentedToken(headers: Headers | IncomingHttpHeaders): string | undefined {
  const get = (name: string) =>
    headers instanceof Headers ? (headers.get(name) ?? undefined) : (headers[name] as string | undefined);
  const bearer = /^Bearer ([A-Za-z0-9_-]{1,256})$/.exec(get("authorization") ?? "");
  if (bearer) return bearer[1];
  for (const part of (get("cookie") ?? "").split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === SESSION_COOKIE) return value.join("=");
  }
  return undefined;
}

function forwardHeaders(headers: Headers, upstream: Upstream): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!DROPPED.has(name.toLowerCase())) out[name] = value;
  });
  // Jupyter's own cookies (e.g. _xsrf) go through; ours never reaches the sandbox.
  const cookies = (headers.get("cookie") ?? "")
    .split(";")
    .map((c) => c.trim())
    .filter((c) => c.length > 0 && !c.startsWith(`${SESSION_COOKIE}=`));
  if (cookies.length > 0) out.cookie = cookies.join("; ");
  out.host = "localhost";
  out.authorization = `token ${upstream.internalToken}`;
  return out;
}

/** Forwards one HTTP request to the notebook server; GETs of the contents API are inspected first. */
export async function forwardHttp(
  req: Request,
  path: string,
  rest: string,
  upstream: Upstream,
): Promise<Response> {
  const inspect = req.method === "GET" && rest.replace(/^\/+/, "").startsWith("api/contents");
  const upstreamRes = await new Promise<IncomingMessage>((resolve, reject) => {
    const out = request(
      {
        socketPath: upstream.socketPath,
        method: req.method,
        path,
        headers: forwardHeaders(req.headers, upstream),
      },
      resolve,
    );
    out.once("error", (cause) =>
      reject(new Cce4longError("UNAVAILABLE", "The session's notebook server does not answer", { cause })),
    );
    if (req.body === null) out.end();
    else Readable.fromWeb(req.body as never).pipe(out);
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(upstreamRes.headers)) {
    if (value === undefined || DROPPED.has(name)) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const status = upstreamRes.statusCode ?? 502;
  if (inspect && status === 200) {
    const body = await readAll(upstreamRes, MAX_CONTENTS_BYTES);
    if (carriesFileContent(body)) {
      throw new Cce4longError(
        "AUTH_FORBIDDEN",
        "File contents are not served from an Explore session; export the file through the Output Gate",
      );
    }
    headers.delete("content-length");
    return new Response(body, { status, headers });
  }
  const noBody = req.method === "HEAD" || status === 204 || status === 304;
  return new Response(noBody ? null : (Readable.toWeb(upstreamRes) as ReadableStream), { status, headers });
}

/**
 * True when a contents-API answer carries a file's content: type "file" with content. Notebooks (what the
 * editor needs to show) and folder listings (children without content) pass.
 */
export function carriesFileContent(body: Uint8Array): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return true;
  }
  const model = parsed as { type?: unknown; content?: unknown };
  return model.type !== "notebook" && model.type !== "directory"
    ? model.content !== null && model.content !== undefined
    : false;
}

async function readAll(stream: IncomingMessage, max: number): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      stream.destroy();
      throw new Cce4longError("PAYLOAD_TOO_LARGE", "The notebook server's answer is too large");
    }
    parts.push(chunk);
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** Forwards an already authorized WebSocket upgrade (kernel channels) to the notebook server. */
export function forwardUpgrade(req: IncomingMessage, client: Duplex, head: Buffer, upstream: Upstream): void {
  const server = createConnection(upstream.socketPath);
  const lines = [`${req.method ?? "GET"} ${req.url ?? "/"} HTTP/1.1`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (lower === "upgrade" || lower === "connection") lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
    else if (!DROPPED.has(lower)) lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
  }
  lines.push("Host: localhost", `Authorization: token ${upstream.internalToken}`);
  server.once("connect", () => {
    server.write(`${lines.join("\r\n")}\r\n\r\n`);
    if (head.length > 0) server.write(head);
    server.pipe(client);
    client.pipe(server);
  });
  const end = () => {
    server.destroy();
    client.destroy();
  };
  server.once("error", end);
  client.once("error", end);
  server.once("close", end);
  client.once("close", end);
}

/** Refuses an upgrade with a plain HTTP status (before any WebSocket exists). */
export function refuseUpgrade(client: Duplex, status: number, reason: string): void {
  client.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
