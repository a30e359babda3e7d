/**
 * Opening the job VM's firewall to exactly the endpoints the boot agent calls (runs in the Computing
 * Plane VM). The image's nftables ruleset (nftables/cce4long.nft) denies all egress but TLS to two
 * address sets that start empty; the agent resolves the Privacy Plane's host (before key release) and
 * the object store's hosts (from the presigned URLs key release hands over), adds those IPv4 addresses
 * to the sets with `nft`, and reads objects only from the addresses it allowed (a pinned lookup): a DNS
 * answer that changes during the job cannot send those reads elsewhere, and nothing widens the firewall.
 * The Privacy Plane's calls (fetch) use the system resolver: should its address change mid-job, the
 * firewall refuses the call (fail closed).
 * Job containers have no network at all; this only concerns the agent's own calls.
 */
import { execFile } from "node:child_process";
import { lookup as dnsLookup } from "node:dns/promises";
import { isIPv4, type LookupFunction } from "node:net";
import { promisify } from "node:util";
import { Cce4longError } from "@cce4long/protocol";

export type EgressSet = "privacy_plane" | "object_store";

export interface EgressFirewall {
  /**
   * Lets TLS traffic out to the hosts of `urls` (added to `set`) and returns a lookup that resolves
   * those hosts to exactly the allowed addresses, and refuses any other host.
   */
  allow(set: EgressSet, urls: readonly URL[]): Promise<LookupFunction>;
}

/** The nftables table of the image's ruleset. */
const TABLE = ["inet", "cce4long"] as const;
/** Hosts per set: a version's objects sit on one or two storage hosts; more is a malformed grant. */
const MAX_HOSTS = 8;

export interface NftablesEgressOptions {
  /** Every IPv4 address of a host name (the VM's resolver is the GCE metadata server). */
  resolve?(host: string): Promise<string[]>;
  /** Runs `nft` with these arguments (no shell). */
  nft?(args: readonly string[]): Promise<void>;
}

const execFileAsync = promisify(execFile);

/** The production firewall: the image's nftables sets. */
export class NftablesEgress implements EgressFirewall {
  readonly #resolve: (host: string) => Promise<string[]>;
  readonly #nft: (args: readonly string[]) => Promise<void>;

  constructor(options: NftablesEgressOptions = {}) {
    this.#resolve =
      options.resolve ??
      (async (host) => (await dnsLookup(host, { all: true, family: 4 })).map((entry) => entry.address));
    this.#nft =
      options.nft ??
      (async (args) => {
        await execFileAsync("nft", [...args], { timeout: 10_000 });
      });
  }

  async allow(set: EgressSet, urls: readonly URL[]): Promise<LookupFunction> {
    const hosts = [...new Set(urls.map((url) => hostOf(set, url)))];
    if (hosts.length === 0 || hosts.length > MAX_HOSTS) {
      throw refused(set, `expected 1 to ${MAX_HOSTS} hosts, got ${hosts.length}`);
    }
    const pinned = new Map<string, string[]>();
    for (const host of hosts) {
      let addresses: string[];
      try {
        addresses = isIPv4(host) ? [host] : await this.#resolve(host);
      } catch (cause) {
        throw refused(set, `${host} did not resolve`, cause);
      }
      addresses = [...new Set(addresses.filter((address) => isIPv4(address)))];
      if (addresses.length === 0) throw refused(set, `${host} has no IPv4 address`);
      pinned.set(host, addresses);
    }
    const all = [...new Set([...pinned.values()].flat())].sort();
    try {
      await this.#nft(["add", "element", ...TABLE, set, `{ ${all.join(", ")} }`]);
    } catch (cause) {
      throw refused(set, "nft refused the addresses", cause);
    }
    return pinnedLookup(pinned);
  }
}

/**
 * DEVELOPMENT ONLY, the local runtime: no nftables on a developer's machine, and the local stack is
 * plain HTTP on loopback. Allows nothing and pins nothing (the system resolver); the job itself is
 * still network-less (bubblewrap unshares the network namespace).
 */
export class NoEgressFirewall implements EgressFirewall {
  async allow(): Promise<LookupFunction> {
    return (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }).then(
        (entries) => {
          if (options.all) callback(null, entries);
          else callback(null, entries[0]!.address, entries[0]!.family);
        },
        (error: NodeJS.ErrnoException) => callback(error, ""),
      );
    };
  }
}

function hostOf(set: EgressSet, url: URL): string {
  // TLS only: the ruleset opens port 443 alone, and a presigned URL over plain HTTP would leak it.
  if (url.protocol !== "https:" || (url.port !== "" && url.port !== "443")) {
    throw refused(set, "only https on port 443 is allowed out");
  }
  return url.hostname;
}

/** A lookup that answers only the allowed hosts, with only their allowed addresses. */
export function pinnedLookup(pinned: ReadonlyMap<string, readonly string[]>): LookupFunction {
  return (hostname, options, callback) => {
    const addresses = pinned.get(hostname);
    if (addresses === undefined || addresses.length === 0) {
      const error: NodeJS.ErrnoException = new Error(`${hostname} is not an allowed endpoint`);
      error.code = "ENOTFOUND";
      callback(error, "");
      return;
    }
    if (options.all)
      callback(
        null,
        addresses.map((address) => ({ address, family: 4 })),
      );
    else callback(null, addresses[0]!, 4);
  };
}

function refused(set: EgressSet, why: string, cause?: unknown): Cce4longError {
  return new Cce4longError("EGRESS_SETUP_FAILED", `The firewall was not opened for ${set}: ${why}`, {
    detail: { set },
    ...(cause === undefined ? {} : { cause }),
  });
}
