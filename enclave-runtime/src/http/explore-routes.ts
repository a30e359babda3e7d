/**
 * Explore Mode routes of the Privacy Plane (runs inside the TEE). Opening is called by the edge API on
 * behalf of a consumer it authenticated; everything about a running session (the notebook proxy, exports,
 * closing) is authenticated with the session's own token, which only that consumer received.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import {
  Cce4longError,
  ExploreExportRequestSchema,
  type ExploreExportResponse,
  type ExploreSession,
  OpenExploreSessionRequestSchema,
} from "@cce4long/protocol";
import { type Context, Hono } from "hono";
import type { Address } from "viem";
import type { ExploreSessions, ExploreSession as Session } from "../explore/session/explore-sessions";
import {
  forwardHttp,
  forwardUpgrade,
  presentedToken,
  refusedPath,
  refuseUpgrade,
  SESSION_COOKIE,
} from "../explore/session/jupyter-proxy";

export interface ExploreRoutesOptions {
  sessions: ExploreSessions;
  /** Where browsers reach this Privacy Plane (no trailing slash), e.g. https://pp.example or http://127.0.0.1:8790. */
  publicUrl: string;
  /** The edge API's bearer token (PRIVACY_PLANE_API_TOKEN); unset only in development. */
  apiToken?: string | undefined;
}

const SESSION_PATH = /^\/v1\/explore\/sessions\/(0x[0-9a-f]{64})\/jupyter(\/.*)?$/;

export function exploreRoutes(options: ExploreRoutesOptions): Hono {
  const { sessions } = options;
  const app = new Hono();

  app.post("/v1/explore/sessions", async (c) => {
    const caller = edgeCaller(c, options.apiToken);
    const body = OpenExploreSessionRequestSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) throw new Cce4longError("VALIDATION_FAILED", "Expected { datasetId }");
    const opened = await sessions.open(caller, body.data.datasetId);
    const apiBase = `${options.publicUrl}${opened.jupyterPath}`;
    const answer: ExploreSession = {
      sessionId: opened.sessionId,
      datasetId: opened.datasetId,
      consumer: opened.consumer,
      freePreview: opened.freePreview,
      accessToken: opened.accessToken,
      jupyterUrl: `${apiBase}?token=${opened.accessToken}`,
      apiBase,
      openedAt: opened.openedAt,
      expiresAt: opened.expiresAt,
      startMs: opened.startMs,
    };
    return c.json(answer, 201, { "cache-control": "no-store" });
  });

  app.get("/v1/explore/sessions/:sessionId", (c) => c.json(sessions.describe(sessionFor(c, options))));

  app.delete("/v1/explore/sessions/:sessionId", async (c) => {
    await sessions.close(sessionFor(c, options).id);
    return c.body(null, 204);
  });

  app.post("/v1/explore/sessions/:sessionId/exports", async (c) => {
    const session = sessions.authorize(c.req.param("sessionId"), presentedToken(c.req.raw.headers));
    const body = ExploreExportRequestSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) {
      throw new Cce4longError("VALIDATION_FAILED", "Expected { output: a declared output }", {
        detail: { issues: body.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) },
      });
    }
    const result = await sessions.exportFile(session, body.data.output, body.data.resultPublicKey);
    const answer: ExploreExportResponse = {
      decision: result.report.decision,
      released: result.released,
      report: result.report,
      ...(result.content === undefined
        ? {}
        : { contentBase64: Buffer.from(result.content).toString("base64") }),
      ...(result.review === undefined
        ? {}
        : {
            review: {
              exportId: result.review.jobId,
              state: result.review.state,
              outputsCommitment: result.review.outputsCommitment,
            },
          }),
    };
    return c.json(answer, result.released ? 200 : result.report.decision === "needs-review" ? 202 : 403);
  });

  app.all("/v1/explore/sessions/:sessionId/jupyter/*", (c) => proxy(c, options));
  app.all("/v1/explore/sessions/:sessionId/jupyter", (c) => proxy(c, options));
  return app;
}

async function proxy(c: Context, options: ExploreRoutesOptions): Promise<Response> {
  const id = c.req.param("sessionId") ?? "";
  const url = new URL(c.req.url);
  const queryToken = url.searchParams.get("token");
  if (queryToken !== null) {
    // A browser's first visit: swap the token in the URL for a cookie scoped to this session, then drop it.
    options.sessions.authorize(id, queryToken);
    url.searchParams.delete("token");
    const secure = options.publicUrl.startsWith("https://") ? "; Secure" : "";
    return new Response(null, {
      status: 303,
      headers: {
        location: `${url.pathname}${url.search}`,
        "set-cookie": `${SESSION_COOKIE}=${queryToken}; Path=/v1/explore/sessions/${id}/; HttpOnly; SameSite=Strict${secure}`,
        "cache-control": "no-store",
      },
    });
  }
  const session = options.sessions.authorize(id, presentedToken(c.req.raw.headers));
  const rest = SESSION_PATH.exec(url.pathname)?.[2] ?? "/";
  const refused = refusedPath(rest);
  if (refused !== null) throw new Cce4longError("AUTH_FORBIDDEN", refused);
  return forwardHttp(c.req.raw, `${url.pathname}${url.search}`, rest, options.sessions.socketOf(session));
}

/** The session of a state/close call: its own token, or the edge API speaking for its owner. */
function sessionFor(c: Context, options: ExploreRoutesOptions): Session {
  const id = c.req.param("sessionId") ?? "";
  if (c.req.header("x-cce4long-caller") !== undefined) {
    return options.sessions.ownedBy(id, edgeCaller(c, options.apiToken));
  }
  return options.sessions.authorize(id, presentedToken(c.req.raw.headers));
}

/** The consumer the edge API speaks for; the edge proves itself with the shared bearer token when one is set. */
function edgeCaller(c: Context, apiToken: string | undefined): Address {
  if (apiToken !== undefined) {
    const presented = /^Bearer (.{1,512})$/.exec(c.req.header("authorization") ?? "")?.[1];
    const digest = (s: string) => createHash("sha256").update(s).digest();
    if (presented === undefined || !timingSafeEqual(digest(presented), digest(apiToken))) {
      throw new Cce4longError("AUTH_INVALID", "Only the edge API may open Explore sessions");
    }
  }
  const caller = c.req.header("x-cce4long-caller") ?? "";
  if (!/^0x[0-9a-fA-F]{40}$/.test(caller)) throw new Cce4longError("AUTH_REQUIRED", "No caller named");
  return caller.toLowerCase() as Address;
}

/**
 * The HTTP server's `upgrade` listener for kernel WebSockets: same token and path rules as HTTP, and a
 * browser's Origin must be this Privacy Plane's own (no cross-site WebSocket hijacking).
 */
export function exploreUpgradeHandler(options: ExploreRoutesOptions) {
  const ownOrigin = new URL(options.publicUrl).origin;
  return (req: IncomingMessage, client: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const match = SESSION_PATH.exec(url.pathname);
    if (match === null) {
      refuseUpgrade(client, 404, "Not Found");
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== ownOrigin) {
      refuseUpgrade(client, 403, "Forbidden");
      return;
    }
    let upstream: ReturnType<ExploreSessions["socketOf"]>;
    try {
      upstream = options.sessions.socketOf(
        options.sessions.authorize(match[1]!, presentedToken(req.headers)),
      );
    } catch {
      refuseUpgrade(client, 401, "Unauthorized");
      return;
    }
    if (refusedPath(match[2] ?? "/") !== null) {
      refuseUpgrade(client, 403, "Forbidden");
      return;
    }
    forwardUpgrade(req, client, head, upstream);
  };
}
