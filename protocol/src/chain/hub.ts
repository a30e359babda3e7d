/**
 * A typed handle on the deployed hub contract (runs anywhere): viem `getContract` with the generated ABI.
 */
import { type Client, getContract } from "viem";
import type { Deployment } from "./deployment";
import { cce4longHubAbi } from "./generated/index";

/** The hub at the deployment's address, reading (and writing, with a wallet client) through `client`. */
export function hubContract<TClient extends Client>(deployment: Deployment, client: TClient) {
  return getContract({ address: deployment.contracts.hub.address, abi: cce4longHubAbi, client });
}
