/**
 * INSECURE development guest agent: the guard that keeps it out of anything but a development
 * deployment (runs on a developer machine only). Fails closed: unset, misspelt or "production" all refuse.
 */
import { Cce4longError } from "@cce4long/protocol";

export const DEPLOYMENT_ENV = "CCE4LONG_DEPLOYMENT";

export function assertDevelopmentDeployment(env: Record<string, string | undefined>): void {
  if (env[DEPLOYMENT_ENV] !== "development") {
    throw new Cce4longError(
      "INSECURE_DEV_REFUSED",
      `The development guest agent is INSECURE (its keys come from a root secret in a local file and its quotes prove nothing); it starts only when ${DEPLOYMENT_ENV}=development`,
      { detail: { [DEPLOYMENT_ENV]: env[DEPLOYMENT_ENV] ?? null } },
    );
  }
}
