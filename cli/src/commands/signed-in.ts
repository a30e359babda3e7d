/**
 * A signed-in API client for one CLI invocation (runs on the user's machine): endpoints and wallet
 * from the shared options, then Sign-in with Ethereum for the role the command needs.
 */
import type { Command } from "commander";
import type { LocalAccount } from "viem";
import { type Endpoints, resolveEndpoints, resolveWallet } from "../context";
import { ApiClient, type Role } from "../sdk/api-client";
import { createHubClient, type HubClient } from "../sdk/hub-client";
import { contextFlags } from "./context-options";

export interface SignedIn {
  endpoints: Endpoints;
  account: LocalAccount;
  api: ApiClient;
  hub: HubClient;
}

export async function signedIn(command: Command, role: Role = { kind: "consumer" }): Promise<SignedIn> {
  const flags = contextFlags(command);
  const endpoints = resolveEndpoints(flags);
  const account = resolveWallet(flags, endpoints);
  const api = new ApiClient({ baseUrl: endpoints.api });
  await api.signIn(account, { chainId: endpoints.chainId, role });
  return { endpoints, account, api, hub: createHubClient(endpoints, account) };
}
