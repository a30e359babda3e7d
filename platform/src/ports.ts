/**
 * Port handling for the local platform (development only, runs on the developer's machine).
 * Fixed, documented defaults for `npm start`; free ports for the test setup; a clear error naming
 * the port when it is taken, instead of a hang.
 */
import { createServer } from "node:net";
import { Cce4longError } from "@cce4long/protocol";

/** Default ports of `npm start`, documented in README.md. Override with the env names shown. */
export const DEFAULT_PORTS = {
  anvil: 8545,
  pubsub: 8085,
  objectStore: 9000,
  edgeApi: 8787,
  edgeApiInspector: 9230,
  privacyPlane: 8790,
} as const;

export type PortName = keyof typeof DEFAULT_PORTS;

export const PORT_ENV: Record<PortName, string> = {
  anvil: "CCE4LONG_ANVIL_PORT",
  pubsub: "CCE4LONG_PUBSUB_PORT",
  objectStore: "CCE4LONG_OBJECT_STORE_PORT",
  edgeApi: "CCE4LONG_EDGE_API_PORT",
  edgeApiInspector: "CCE4LONG_EDGE_API_INSPECTOR_PORT",
  privacyPlane: "CCE4LONG_PRIVACY_PLANE_PORT",
};

export type Ports = Record<PortName, number>;

/** True when nothing listens on 127.0.0.1:port and we may bind it. */
export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Asks the kernel for a free ephemeral port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ port: 0, host: "127.0.0.1" }, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function freePorts(): Promise<Ports> {
  const entries: [PortName, number][] = [];
  const taken = new Set<number>();
  for (const name of Object.keys(DEFAULT_PORTS) as PortName[]) {
    let port = await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    entries.push([name, port]);
  }
  return Object.fromEntries(entries) as Ports;
}

/** Fails with PLATFORM_PORT_IN_USE naming every taken port and the variable that moves it. */
export async function ensurePortsFree(ports: Ports): Promise<void> {
  const taken: string[] = [];
  for (const [name, port] of Object.entries(ports) as [PortName, number][]) {
    if (!(await isPortFree(port))) taken.push(`${name} port ${port} (set ${PORT_ENV[name]} to move it)`);
  }
  if (taken.length > 0) {
    throw new Cce4longError("PLATFORM_PORT_IN_USE", `port already in use: ${taken.join("; ")}`);
  }
}
