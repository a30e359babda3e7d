/**
 * Signs a Result Manifest with the Privacy Plane's "result-manifest" key (runs inside the TEE):
 * EIP-712 over {jobId, manifestHash} (protocol/src/manifest/manifest-hash.ts). The key is fetched
 * for each signature and wiped after (JS gives no guarantee that no copy remains; see sealing wipe.ts).
 */

import { resultManifestHash, resultManifestTypedData } from "@cce4long/protocol/manifest/manifest-hash";
import type { ResultManifestBody, SignedResultManifest } from "@cce4long/protocol/manifest/result-manifest";
import type { EthereumSigningKey } from "@cce4long/sealing/keys/types";
import { bytesToHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

export type ManifestKeySource = () => Promise<EthereumSigningKey>;

export async function signManifest(
  body: ResultManifestBody,
  key: EthereumSigningKey,
): Promise<SignedResultManifest> {
  const account = privateKeyToAccount(bytesToHex(key.privateKey));
  const signature = await account.signTypedData(resultManifestTypedData(body));
  return { ...body, manifestHash: resultManifestHash(body), signature };
}

/** The signer address a manifest will name, without keeping the key. */
export async function manifestSignerAddress(source: ManifestKeySource): Promise<`0x${string}`> {
  const key = await source();
  try {
    return key.address;
  } finally {
    key.wipe();
  }
}
