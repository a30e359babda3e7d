/**
 * Which URLs may receive webhook deliveries (runs in workerd). The same rule as CORS origins:
 * https only in production, http or https in development (local receivers). Production also refuses
 * credentials in the URL and hosts that name this machine or a private network by address.
 */
import type { ValidationIssue } from "@cce4long/protocol";
import { ValidationError } from "../errors/problem";

const PRIVATE_HOST =
  /^(localhost|.*\.localhost|.*\.local|.*\.internal|\[.*\]|(\d{1,3}\.){3}\d{1,3}|0x[0-9a-f]+|\d+)$/i;

export function checkDeliveryUrl(raw: string, deployment: "development" | "production"): URL {
  const fail = (message: string): never => {
    const issue: ValidationIssue = { path: "/url", message };
    throw new ValidationError("body", [issue]);
  };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail("must be an absolute URL");
  }
  const allowed = deployment === "production" ? ["https:"] : ["https:", "http:"];
  if (!allowed.includes(url.protocol)) {
    fail(deployment === "production" ? "must use https" : "must use http or https");
  }
  if (url.username !== "" || url.password !== "") fail("must not contain credentials");
  if (url.hash !== "") fail("must not contain a fragment");
  if (deployment === "production" && PRIVATE_HOST.test(url.hostname)) {
    fail("must name a public host, not an address or a local name");
  }
  return url;
}
