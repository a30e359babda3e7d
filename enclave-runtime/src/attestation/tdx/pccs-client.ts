/**
 * Fetches fresh DCAP collateral for one platform from a PCCS (Intel's Provisioning Certificate
 * Caching Service, API v4) through an injected fetch (runs inside the TEE). Production points it at
 * its PCCS; tests hand it a fake fetch, so no test needs the network.
 */
import type { PlatformId } from "./collateral";
import type { CollateralFetcher } from "./collateral-cache";

export interface PccsClientOptions {
  /** e.g. https://pccs.example.internal:8081 (the /sgx|tdx/certification/v4 paths are appended). */
  baseUrl: string;
  fetch: typeof globalThis.fetch;
  timeoutMs?: number;
}

export function createPccsCollateralFetcher(options: PccsClientOptions): CollateralFetcher {
  const base = options.baseUrl.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 10_000;
  const get = async (path: string): Promise<Response> => {
    const url = `${base}${path}`;
    const response = await options.fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`PCCS answered ${response.status} for ${path}`);
    return response;
  };

  return async (platform: PlatformId) => {
    const fmspc = platform.fmspc.toUpperCase();
    const [pckCrl, tcb, qe, rootCrl] = await Promise.all([
      get(`/sgx/certification/v4/pckcrl?ca=${platform.ca}&encoding=der`),
      get(`/tdx/certification/v4/tcb?fmspc=${fmspc}`),
      get(`/tdx/certification/v4/qe/identity`),
      get(`/sgx/certification/v4/rootcacrl`),
    ]);
    const tcbBody = JSON.parse(await tcb.text()) as { tcbInfo: unknown; signature: string };
    const qeBody = JSON.parse(await qe.text()) as { enclaveIdentity: unknown; signature: string };
    return {
      pck_crl_issuer_chain: header(pckCrl, "SGX-PCK-CRL-Issuer-Chain"),
      pck_crl: bytesToHex(new Uint8Array(await pckCrl.arrayBuffer())),
      // Intel signs the compact JSON text of tcbInfo/enclaveIdentity as served; re-serializing the
      // parsed value reproduces it (key order and compact form are preserved). If it ever did not,
      // the signature check in the verifier would refuse it: this fails closed.
      tcb_info: JSON.stringify(tcbBody.tcbInfo),
      tcb_info_signature: tcbBody.signature,
      tcb_info_issuer_chain: header(tcb, "TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain"),
      qe_identity: JSON.stringify(qeBody.enclaveIdentity),
      qe_identity_signature: qeBody.signature,
      qe_identity_issuer_chain: header(qe, "SGX-Enclave-Identity-Issuer-Chain"),
      root_ca_crl: await crlHex(rootCrl),
    };
  };
}

function header(response: Response, ...names: string[]): string {
  for (const name of names) {
    const value = response.headers.get(name);
    if (value) return decodeURIComponent(value);
  }
  throw new Error(`PCCS response lacks the ${names[0]} header`);
}

/** A PCCS serves the root CA CRL hex-encoded; Intel's distribution point serves DER. Accept both. */
async function crlHex(response: Response): Promise<string> {
  const bytes = new Uint8Array(await response.arrayBuffer());
  const text = new TextDecoder().decode(bytes).trim();
  return /^([0-9a-fA-F]{2})+$/.test(text) ? text.toLowerCase() : bytesToHex(bytes);
}

function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}
