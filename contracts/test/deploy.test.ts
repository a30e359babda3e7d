/**
 * The deploy script against a real anvil (tests only): first deployment, idempotent re-runs, and
 * redeployment when the recorded file is stale, foreign or unreadable.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@cce4long/platform/ports";
import { type RunningAnvil, startAnvil } from "@cce4long/platform/services/anvil";
import { cce4longHubRuntimeCodeHash, parseDeployment } from "@cce4long/protocol/chain/index";
import { createPublicClient, http, keccak256 } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployContracts } from "../scripts/deploy";
import { ANVIL_ACCOUNT0_KEY, localAccount } from "../scripts/local-accounts";

let anvil: RunningAnvil;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cce4long-deploy-"));
  anvil = await startAnvil({ port: await freePort(), logFile: join(dir, "anvil.log") });
});
afterAll(async () => {
  await anvil?.process.stop();
});

function options(outFile: string) {
  return {
    rpcUrl: anvil.rpcUrl,
    deployerPrivateKey: ANVIL_ACCOUNT0_KEY,
    outFile,
    privacyPlaneSigners: [localAccount("privacyPlaneSigner").address],
  };
}

describe("deployContracts", () => {
  it("the well-known key is anvil account 0", () => {
    expect(localAccount("owner").address).toBe("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  });

  it("deploys, authorizes the signers, and writes a file that parses", async () => {
    const outFile = join(dir, "nested", "first", "deployment.json");
    const deployment = await deployContracts(options(outFile));
    expect(parseDeployment(JSON.parse(readFileSync(outFile, "utf8")))).toEqual(deployment);
    expect(deployment.chainId).toBe(31337);
    expect(deployment.contracts.hub.codeHash).toBe(cce4longHubRuntimeCodeHash);
    const client = createPublicClient({ transport: http(anvil.rpcUrl) });
    const code = await client.getCode({ address: deployment.contracts.hub.address });
    expect(keccak256(code!)).toBe(cce4longHubRuntimeCodeHash);
    expect(deployment.contracts.hub.deployedBlock).toBe(Number(await client.getBlockNumber()));
  });

  it("is idempotent: a second run sends no transaction and returns the same deployment", async () => {
    const outFile = join(dir, "idempotent.json");
    const first = await deployContracts(options(outFile));
    const client = createPublicClient({ transport: http(anvil.rpcUrl) });
    const block = await client.getBlockNumber();
    const second = await deployContracts(options(outFile));
    expect(second).toEqual(first);
    expect(await client.getBlockNumber()).toBe(block);
  });

  it("redeploys when the recorded address has no hub code, the chain differs, or the file is unreadable", async () => {
    const outFile = join(dir, "stale.json");
    const first = await deployContracts(options(outFile));
    const cases = [
      { ...first, contracts: { hub: { ...first.contracts.hub, address: localAccount("consumer").address } } },
      { ...first, chainId: 1 },
    ];
    for (const recorded of cases) {
      writeFileSync(outFile, JSON.stringify(recorded));
      const redeployed = await deployContracts(options(outFile));
      expect(redeployed.contracts.hub.address).not.toBe(recorded.contracts.hub.address);
      expect(redeployed.chainId).toBe(31337);
    }
    writeFileSync(outFile, "{ not json");
    const fromGarbage = await deployContracts(options(outFile));
    expect(parseDeployment(JSON.parse(readFileSync(outFile, "utf8")))).toEqual(fromGarbage);
  });

  it("error: an unreachable RPC URL fails with CHAIN_UNREACHABLE", async () => {
    const port = await freePort();
    await expect(
      deployContracts({ ...options(join(dir, "never.json")), rpcUrl: `http://127.0.0.1:${port}` }),
    ).rejects.toMatchObject({ code: "CHAIN_UNREACHABLE" });
  });
});
