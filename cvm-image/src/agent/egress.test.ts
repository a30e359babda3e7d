/**
 * The VM firewall's opening (runs in Node under vitest; `nft` and DNS replaced by recorders at the
 * boundary, since no nftables runs here): the exact `nft` command per set, TLS on 443 only, hosts
 * resolved once and pinned (another host, or the same host later, never reaches the network), and
 * every refusal typed; plus the object-store reader really connecting through a pinned lookup.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { objectStoreLowerLayer } from "../fuse/object-store-lower-layer";
import { NftablesEgress, pinnedLookup } from "./egress";

function recorder(answers: Record<string, string[]>) {
  const commands: string[][] = [];
  const resolved: string[] = [];
  const egress = new NftablesEgress({
    resolve: async (host) => {
      resolved.push(host);
      const answer = answers[host];
      if (answer === undefined) throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
      return answer;
    },
    nft: async (args) => {
      commands.push([...args]);
    },
  });
  return { egress, commands, resolved };
}

const presigned = (host: string, key: string) =>
  new URL(`https://${host}/cce4long-datasets/${key}?X-Amz-Signature=${"ab".repeat(32)}`);

function lookUp(lookup: ReturnType<typeof pinnedLookup>, host: string, all = false) {
  return new Promise<unknown>((resolve, reject) =>
    lookup(host, { all }, (error, address, family) =>
      error ? reject(error) : resolve(all ? address : [address, family]),
    ),
  );
}

describe("opening the firewall", () => {
  it("adds the Privacy Plane's addresses to its set with one nft command", async () => {
    const { egress, commands } = recorder({ "pp.cce4long.example": ["203.0.113.7", "203.0.113.8"] });
    await egress.allow("privacy_plane", [new URL("https://pp.cce4long.example/v1")]);
    expect(commands).toEqual([
      ["add", "element", "inet", "cce4long", "privacy_plane", "{ 203.0.113.7, 203.0.113.8 }"],
    ]);
  });

  it("adds each distinct object-store host once, and pins the reader to those addresses", async () => {
    const { egress, commands, resolved } = recorder({
      "storage.googleapis.com": ["142.250.0.1", "142.250.0.2"],
    });
    const lookup = await egress.allow("object_store", [
      presigned("storage.googleapis.com", "a/1"),
      presigned("storage.googleapis.com", "a/2"),
    ]);
    expect(resolved).toEqual(["storage.googleapis.com"]);
    expect(commands).toEqual([
      ["add", "element", "inet", "cce4long", "object_store", "{ 142.250.0.1, 142.250.0.2 }"],
    ]);
    expect(await lookUp(lookup, "storage.googleapis.com")).toEqual(["142.250.0.1", 4]);
    expect(await lookUp(lookup, "storage.googleapis.com", true)).toEqual([
      { address: "142.250.0.1", family: 4 },
      { address: "142.250.0.2", family: 4 },
    ]);
    await expect(lookUp(lookup, "attacker.example")).rejects.toMatchObject({ code: "ENOTFOUND" });
    expect(resolved).toEqual(["storage.googleapis.com"]); // nothing resolved again
  });

  it("an IP literal is allowed as it is, without a lookup; IPv6 answers are dropped", async () => {
    const { egress, commands, resolved } = recorder({ "dual.example": ["2001:db8::1", "198.51.100.4"] });
    await egress.allow("object_store", [presigned("198.51.100.9", "x"), presigned("dual.example", "y")]);
    expect(resolved).toEqual(["dual.example"]);
    expect(commands[0]!.at(-1)).toBe("{ 198.51.100.4, 198.51.100.9 }");
  });
});

describe("error: the firewall stays closed", () => {
  const cases: [string, URL[], Record<string, string[]>][] = [
    ["plain http", [new URL("http://pp.example/v1")], { "pp.example": ["203.0.113.7"] }],
    ["another port", [new URL("https://pp.example:8443/v1")], { "pp.example": ["203.0.113.7"] }],
    ["a host that does not resolve", [new URL("https://missing.example/")], {}],
    [
      "a host with no IPv4 address",
      [new URL("https://v6only.example/")],
      { "v6only.example": ["2001:db8::2"] },
    ],
    ["no URL at all", [], {}],
    [
      "too many hosts",
      Array.from({ length: 9 }, (_, i) => new URL(`https://h${i}.example/`)),
      Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`h${i}.example`, [`192.0.2.${i + 1}`]])),
    ],
  ];
  for (const [name, urls, answers] of cases) {
    it(name, async () => {
      const { egress, commands } = recorder(answers);
      await expect(egress.allow("object_store", urls)).rejects.toMatchObject({ code: "EGRESS_SETUP_FAILED" });
      expect(commands).toEqual([]);
    });
  }

  it("a refused presigned URL is not repeated in the error (it is a secret)", async () => {
    const { egress } = recorder({ "s.example": ["203.0.113.7"] });
    const url = new URL(`http://s.example/cce4long-datasets/k?X-Amz-Signature=${"ab".repeat(32)}`);
    const error = await egress.allow("object_store", [url]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "EGRESS_SETUP_FAILED" });
    expect(
      JSON.stringify({ message: (error as Error).message, detail: (error as { detail?: unknown }).detail }),
    ).not.toContain("X-Amz-Signature");
  });

  it("nft failing is a typed error, and the message carries no URL", async () => {
    const egress = new NftablesEgress({
      resolve: async () => ["203.0.113.7"],
      nft: async () => {
        throw new Error("Error: No such file or directory; did you mean table 'cce4long'?");
      },
    });
    const error = await egress.allow("object_store", [presigned("s.example", "k")]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "EGRESS_SETUP_FAILED" });
    expect(String((error as Error).message)).not.toContain("X-Amz-Signature");
  });
});

describe("the object-store reader connects through the pinned lookup", () => {
  let server: Server;
  let port: number;
  const body = Buffer.from("0123456789abcdef".repeat(512));
  beforeAll(async () => {
    server = createServer((request, response) => {
      const [, from, to] = /bytes=(\d+)-(\d+)/.exec(request.headers.range ?? "") ?? [];
      const start = Number(from);
      const end = Math.min(Number(to), body.length - 1);
      response.writeHead(206, { "content-range": `bytes ${start}-${end}/${body.length}` });
      response.end(body.subarray(start, end + 1));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("a host only the pin knows is read from the pinned address; an unpinned one is never reached", async () => {
    const lookup = pinnedLookup(new Map([["objects.cce4long.internal", ["127.0.0.1"]]]));
    const lower = objectStoreLowerLayer({
      objects: [
        { path: "a.bin", url: `http://objects.cce4long.internal:${port}/a.bin` },
        { path: "b.bin", url: `http://elsewhere.cce4long.internal:${port}/b.bin` },
      ],
      lookup,
      attempts: 1,
    });
    const file = await lower.open("a.bin");
    const read = await file.read(Buffer.alloc(100), 100, 1000);
    expect(read.equals(body.subarray(1000, 1100))).toBe(true);
    await file.close();
    await expect(lower.open("b.bin")).rejects.toMatchObject({ code: "LOWER_LAYER_UNAVAILABLE" });
  });
});
