/**
 * Tests of the collateral cache, its directory loader and the PCCS client (runs in Node; the PCCS
 * is a fake fetch serving the real vector's collateral, so nothing touches the network).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { attestationFailureOf } from "../attestation-error";
import { CollateralCache, loadCollateralDirectory } from "./collateral-cache";
import { createPccsCollateralFetcher } from "./pccs-client";
import { createTdxQuoteVerifier } from "./tdx-quote-verifier";
import { TDX_VECTOR_FACTS as FACTS, loadTdxVector } from "./test-vectors";

const { quote, collateral } = loadTdxVector();
const expired = new Date(FACTS.expiresAfter.getTime() + 1000);

async function failure(promise: Promise<unknown>) {
  return attestationFailureOf(
    await promise.then(
      () => undefined,
      (e: unknown) => e,
    ),
  );
}

describe("CollateralCache", () => {
  it("keys collateral by the FMSPC and PCK CA it names itself", () => {
    expect(new CollateralCache().add(collateral)).toEqual(FACTS.platform);
  });

  it("serves current collateral without calling the fetcher", async () => {
    const fetcher = vi.fn();
    const cache = new CollateralCache({ collateral: [collateral], fetcher });
    await expect(cache.collateralFor(FACTS.platform, FACTS.validAt)).resolves.toEqual(collateral);
    expect(fetcher).not.toHaveBeenCalled();
  });

  it("without a fetcher, hands over stale collateral so the verifier names the reason: expired", async () => {
    const cache = new CollateralCache({ collateral: [collateral] });
    await expect(cache.collateralFor(FACTS.platform, expired)).resolves.toEqual(collateral);
  });

  it("fetches once for many concurrent requests when the cached set is stale", async () => {
    let calls = 0;
    const cache = new CollateralCache({
      collateral: [collateral],
      fetcher: async () => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return collateral;
      },
    });
    await Promise.all([1, 2, 3, 4].map(() => cache.collateralFor(FACTS.platform, expired)));
    expect(calls).toBe(1);
  });

  it("error: unknown platform and no fetcher -> COLLATERAL_UNAVAILABLE", async () => {
    const cache = new CollateralCache({ collateral: [collateral] });
    expect(
      await failure(cache.collateralFor({ fmspc: "00906ED50000", ca: "processor" }, FACTS.validAt)),
    ).toBe("COLLATERAL_UNAVAILABLE");
    expect(await failure(cache.collateralFor({ ...FACTS.platform, ca: "processor" }, FACTS.validAt))).toBe(
      "COLLATERAL_UNAVAILABLE",
    );
  });

  it("error: a failing fetcher -> COLLATERAL_UNAVAILABLE, and the next call tries again", async () => {
    const fetcher = vi
      .fn()
      .mockRejectedValueOnce(new Error("connection refused"))
      .mockResolvedValue(collateral);
    const cache = new CollateralCache({ fetcher });
    expect(await failure(cache.collateralFor(FACTS.platform, FACTS.validAt))).toBe("COLLATERAL_UNAVAILABLE");
    await expect(cache.collateralFor(FACTS.platform, FACTS.validAt)).resolves.toEqual(collateral);
  });

  it("error: fetched collateral for another platform is refused", async () => {
    const cache = new CollateralCache({ fetcher: async () => collateral });
    expect(await failure(cache.collateralFor({ fmspc: "00906ED50000", ca: "platform" }, FACTS.validAt))).toBe(
      "COLLATERAL_INVALID",
    );
  });

  it("error: malformed collateral is refused with the fields named", () => {
    const { tcb_info: _dropped, ...missing } = collateral;
    let error: unknown;
    try {
      new CollateralCache().add({ ...missing, pck_crl: "not hex" });
    } catch (e) {
      error = e;
    }
    expect(attestationFailureOf(error)).toBe("COLLATERAL_INVALID");
    expect((error as { detail: { fields: string[] } }).detail.fields).toEqual(
      expect.arrayContaining(["tcb_info", "pck_crl"]),
    );
    expect(() => new CollateralCache().add({ ...collateral, tcb_info: "{not json" })).toThrow();
  });
});

describe("loadCollateralDirectory", () => {
  let dir = "";
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("reads every .json file of a directory, and the cache then verifies the real quote", async () => {
    dir = await mkdtemp(join(tmpdir(), "cce4long-collateral-"));
    await writeFile(join(dir, "B0C06F000000-platform.json"), JSON.stringify(collateral));
    await writeFile(join(dir, "notes.txt"), "ignored");
    const sets = await loadCollateralDirectory(dir);
    expect(sets).toHaveLength(1);
    const verifier = createTdxQuoteVerifier({ collateral: new CollateralCache({ collateral: sets }) });
    await expect(verifier.verify(quote, { now: FACTS.validAt })).resolves.toMatchObject({
      tcbStatus: "UpToDate",
    });
  });

  it("error: a file that is not JSON -> COLLATERAL_INVALID naming the file", async () => {
    const bad = await mkdtemp(join(tmpdir(), "cce4long-collateral-bad-"));
    try {
      await writeFile(join(bad, "broken.json"), "{");
      expect(await failure(loadCollateralDirectory(bad))).toBe("COLLATERAL_INVALID");
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});

/** A fake PCCS serving the vector's collateral in the PCCS v4 wire form. */
function fakePccs(overrides: { status?: number; dropHeader?: boolean } = {}) {
  const urls: string[] = [];
  const enc = encodeURIComponent;
  const fetch = async (input: string | URL | Request): Promise<Response> => {
    const url = String(input);
    urls.push(url);
    if (overrides.status) return new Response("nope", { status: overrides.status });
    const path = new URL(url).pathname;
    const headers = (name: string, value: string) => (overrides.dropHeader ? {} : { [name]: enc(value) });
    if (path.endsWith("/pckcrl"))
      return new Response(Buffer.from(collateral.pck_crl!, "hex"), {
        headers: headers("SGX-PCK-CRL-Issuer-Chain", collateral.pck_crl_issuer_chain!),
      });
    if (path.endsWith("/tcb"))
      return new Response(
        `{"tcbInfo":${collateral.tcb_info},"signature":"${collateral.tcb_info_signature}"}`,
        {
          headers: headers("TCB-Info-Issuer-Chain", collateral.tcb_info_issuer_chain!),
        },
      );
    if (path.endsWith("/qe/identity"))
      return new Response(
        `{"enclaveIdentity":${collateral.qe_identity},"signature":"${collateral.qe_identity_signature}"}`,
        { headers: headers("SGX-Enclave-Identity-Issuer-Chain", collateral.qe_identity_issuer_chain!) },
      );
    if (path.endsWith("/rootcacrl")) return new Response(collateral.root_ca_crl);
    return new Response("unknown", { status: 404 });
  };
  return { fetch: fetch as typeof globalThis.fetch, urls };
}

describe("createPccsCollateralFetcher", () => {
  it("asks the PCCS v4 endpoints for this platform and yields collateral that verifies the real quote", async () => {
    const pccs = fakePccs();
    const fetcher = createPccsCollateralFetcher({ baseUrl: "https://pccs.test:8081/", fetch: pccs.fetch });
    const verifier = createTdxQuoteVerifier({ collateral: new CollateralCache({ fetcher }) });
    await expect(verifier.verify(quote, { now: FACTS.validAt })).resolves.toMatchObject({
      tcbStatus: "UpToDate",
    });
    expect(pccs.urls.sort()).toEqual([
      "https://pccs.test:8081/sgx/certification/v4/pckcrl?ca=platform&encoding=der",
      "https://pccs.test:8081/sgx/certification/v4/rootcacrl",
      "https://pccs.test:8081/tdx/certification/v4/qe/identity",
      "https://pccs.test:8081/tdx/certification/v4/tcb?fmspc=B0C06F000000",
    ]);
  });

  it("error: a PCCS answering 503 -> COLLATERAL_UNAVAILABLE", async () => {
    const fetcher = createPccsCollateralFetcher({
      baseUrl: "https://pccs.test",
      fetch: fakePccs({ status: 503 }).fetch,
    });
    const verifier = createTdxQuoteVerifier({ collateral: new CollateralCache({ fetcher }) });
    expect(await failure(verifier.verify(quote, { now: FACTS.validAt }))).toBe("COLLATERAL_UNAVAILABLE");
  });

  it("error: a PCCS response without its issuer chain header -> COLLATERAL_UNAVAILABLE", async () => {
    const pccs = fakePccs({ dropHeader: true });
    const fetcher = createPccsCollateralFetcher({ baseUrl: "https://pccs.test", fetch: pccs.fetch });
    const verifier = createTdxQuoteVerifier({ collateral: new CollateralCache({ fetcher }) });
    expect(await failure(verifier.verify(quote, { now: FACTS.validAt }))).toBe("COLLATERAL_UNAVAILABLE");
  });
});
