/**
 * INSECURE development guest agent (runs on a developer machine only): an HTTP server on a unix socket
 * that answers the dstack guest API, so the Privacy Plane's production code (DstackClient from
 * @phala/dstack-sdk) runs unchanged locally. Its keys come from a root secret in a local file and its
 * quotes are development evidence that proves nothing; it refuses to start outside development.
 */

import { chmodSync, existsSync, unlinkSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createConnection } from "node:net";
import { Cce4longError, isCce4longError } from "@cce4long/protocol";
import { assertDevelopmentDeployment } from "./deployment-guard";
import { DevKeyDeriver } from "./derivation";
import { createGuestApi, type GuestApiHandler } from "./guest-api";
import { loadOrCreateState } from "./state";

export interface DevGuestAgentOptions {
  socketPath: string;
  stateDir: string;
  /** The app compose document measured into compose_hash / RTMR3. Changing it changes the measurement, not the keys. */
  appCompose?: string;
  /** Environment to check for CCE4LONG_DEPLOYMENT; defaults to process.env. */
  env?: Record<string, string | undefined>;
}

export interface DevGuestAgent {
  readonly socketPath: string;
  close(): Promise<void>;
}

export const DEFAULT_DEV_APP_COMPOSE = JSON.stringify({
  manifest_version: 2,
  name: "cce4long-privacy-plane",
  runner: "docker-compose",
  insecure_development: true,
});

const MAX_BODY_BYTES = 64 * 1024;

export async function startDevGuestAgent(options: DevGuestAgentOptions): Promise<DevGuestAgent> {
  assertDevelopmentDeployment(options.env ?? process.env);
  await clearStaleSocket(options.socketPath);
  const state = loadOrCreateState(options.stateDir);
  const deriver = new DevKeyDeriver(state.rootKey, state.appId);
  state.rootKey.fill(0);
  const api = createGuestApi({
    deriver,
    appId: state.appId,
    appCompose: options.appCompose ?? DEFAULT_DEV_APP_COMPOSE,
  });
  const server = createServer((request, response) => void handle(api, request, response));
  await listen(server, options.socketPath);
  // Only this user may ask for keys.
  chmodSync(options.socketPath, 0o600);

  let closed: Promise<void> | undefined;
  return {
    socketPath: options.socketPath,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).finally(() => {
        deriver.wipe();
        if (existsSync(options.socketPath)) unlinkSync(options.socketPath);
      });
      return closed;
    },
  };
}

async function handle(
  api: Record<string, GuestApiHandler>,
  request: IncomingMessage,
  response: ServerResponse,
) {
  const url = new URL(request.url ?? "/", "http://dstack");
  // Upstream serves both /Name and /prpc/Name; GET takes its arguments from the query string.
  const name = url.pathname.replace(/^\/prpc\//, "/").slice(1);
  const handler = Object.hasOwn(api, name) ? api[name] : undefined;
  try {
    if (!handler) throw new Cce4longError("NOT_FOUND", `Unknown or unsupported guest API call: ${name}`);
    const body = request.method === "GET" ? Object.fromEntries(url.searchParams) : await readJson(request);
    send(response, 200, handler(body));
  } catch (error) {
    const status = isCce4longError(error) && error.status < 500 ? error.status : 500;
    // Messages are ours and carry no key material; anything unexpected is reported generically.
    send(response, status, { error: isCce4longError(error) ? error.message : "internal error" });
  }
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  // An oversized body is read to its end and discarded, so the client still receives the 413.
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_BODY_BYTES) throw new Cce4longError("PAYLOAD_TOO_LARGE", "Request body too large");
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new Cce4longError("BAD_REQUEST", "Request body is not JSON");
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  // The SDK's unix-socket client reads exactly Content-Length bytes: it must be present and exact.
  response.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    Connection: "close",
  });
  response.end(text);
}

function listen(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** A socket file nobody answers on is left over from a crash: remove it. One that answers is refused. */
async function clearStaleSocket(socketPath: string): Promise<void> {
  if (!existsSync(socketPath)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection({ path: socketPath });
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (alive) {
    throw new Cce4longError(
      "PLATFORM_ALREADY_RUNNING",
      "Another process is already serving this guest agent socket",
      {
        detail: { socketPath },
      },
    );
  }
  unlinkSync(socketPath);
}
