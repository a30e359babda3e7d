/**
 * Checks a Sign-In with Ethereum message (EIP-4361, https://eips.ethereum.org/EIPS/eip-4361) and its
 * signature (runs in workerd). Pure: no storage, no network; the nonce's single use is the caller's
 * (NonceStore). Externally owned accounts only: the signature is checked by recovering the signer
 * locally; contract wallets (ERC-1271) would need a chain call and are not accepted yet.
 */
import { isAddressEqual, recoverMessageAddress } from "viem";
import { parseSiweMessage } from "viem/siwe";

/**
 * Clock-skew policy for wallet clocks: a message may claim to be issued up to this far in the future,
 * and its expirationTime / notBefore are honoured with this much slack.
 */
export const SIWE_CLOCK_SKEW_MS = 60_000;

export interface SiweExpectations {
  domain: string;
  chainId: number;
  /** How old an issuedAt may be: the nonce's lifetime, since no valid sign-in outlives its nonce. */
  maxAgeMs: number;
  nowMs: number;
}

export type SiweFailure =
  | "malformed"
  | "wrong-domain"
  | "wrong-chain"
  | "not-yet-valid"
  | "expired"
  | "bad-signature";

export type SiweResult =
  | { ok: true; address: `0x${string}`; nonce: string }
  | { ok: false; reason: SiweFailure };

export async function checkSiwe(
  message: string,
  signature: `0x${string}`,
  expect: SiweExpectations,
): Promise<SiweResult> {
  const fields = parseSiweMessage(message);
  const { address, domain, chainId, nonce, version, uri, issuedAt } = fields;
  if (!address || !domain || !chainId || !nonce || version !== "1" || !uri || !issuedAt) {
    return { ok: false, reason: "malformed" };
  }
  if (Number.isNaN(issuedAt.getTime())) return { ok: false, reason: "malformed" };
  if (domain !== expect.domain) return { ok: false, reason: "wrong-domain" };
  if (chainId !== expect.chainId) return { ok: false, reason: "wrong-chain" };

  const now = expect.nowMs;
  if (issuedAt.getTime() > now + SIWE_CLOCK_SKEW_MS) return { ok: false, reason: "not-yet-valid" };
  if (fields.notBefore && !(fields.notBefore.getTime() <= now + SIWE_CLOCK_SKEW_MS)) {
    return { ok: false, reason: "not-yet-valid" };
  }
  if (issuedAt.getTime() < now - expect.maxAgeMs - SIWE_CLOCK_SKEW_MS)
    return { ok: false, reason: "expired" };
  if (fields.expirationTime && !(fields.expirationTime.getTime() > now - SIWE_CLOCK_SKEW_MS)) {
    return { ok: false, reason: "expired" };
  }

  let signer: `0x${string}`;
  try {
    signer = await recoverMessageAddress({ message, signature });
  } catch {
    return { ok: false, reason: "bad-signature" };
  }
  if (!isAddressEqual(signer, address)) return { ok: false, reason: "bad-signature" };
  return { ok: true, address: signer, nonce };
}
