/**
 * The Privacy Plane's HTTP surface (runs inside the TEE). Only mounts route groups and maps
 * errors; route groups live beside this file. Callers learn a stable code and little else; the
 * detail of a failure goes to the log.
 */
import { ERROR_CODES, isCce4longError } from "@cce4long/protocol";
import { Hono } from "hono";

export interface PrivacyPlaneDeps {
  deployment: "development" | "production";
  /** True when the dstack guest API (the TEE's key and quote service) answers. */
  guestAgentReachable(): Promise<boolean>;
  log(event: string, fields: Record<string, unknown>): void;
  /** Privacy Mode route groups (key release, job outputs); absent in tests of the bare service. */
  routes?: readonly Hono[];
}

export function createPrivacyPlaneApp(deps: PrivacyPlaneDeps): Hono {
  const app = new Hono();

  app.get("/healthz", async (c) => {
    const guestAgent = await deps.guestAgentReachable().catch(() => false);
    return c.json(
      { ok: guestAgent, service: "privacy-plane", deployment: deps.deployment, guestAgent },
      guestAgent ? 200 : 503,
    );
  });

  for (const group of deps.routes ?? []) app.route("/", group);

  app.notFound((c) =>
    c.json({ type: "about:blank", title: ERROR_CODES.NOT_FOUND.title, status: 404, code: "NOT_FOUND" }, 404, {
      "content-type": "application/problem+json",
    }),
  );

  app.onError((error, c) => {
    const code = isCce4longError(error) ? error.code : "INTERNAL";
    const { status, title } = ERROR_CODES[code];
    deps.log("request.failed", {
      path: c.req.path,
      code,
      detail: isCce4longError(error) ? error.detail : undefined,
      error: error.message,
    });
    const body = {
      type: "about:blank",
      title,
      status,
      code,
      detail: status < 500 ? error.message : undefined,
    };
    return c.json(body, status as 500, { "content-type": "application/problem+json" });
  });

  return app;
}
