/**
 * Boot agent pieces that need no TEE (runs in Node): its config refuses the environment source outside
 * development and names missing values; outputs collection takes regular files only, within limits;
 * a directory image is found only by its exact digest.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadAgentConfig } from "./config";
import { directoryDigest, findDirectoryImage } from "./directory-image";
import { collectOutputs } from "./outputs";

const root = mkdtempSync(join(tmpdir(), "cce4long-agent-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const env = {
  CCE4LONG_AGENT_CONFIG_SOURCE: "env",
  CCE4LONG_DEPLOYMENT: "development",
  CCE4LONG_JOB_CREDENTIAL: "jc1.a.b",
  CCE4LONG_PRIVACY_PLANE_URL: "http://127.0.0.1:1",
  CCE4LONG_JOB_ID: `0x${"1".repeat(64)}`,
  CCE4LONG_DATASET_ID: `0x${"2".repeat(64)}`,
  CCE4LONG_IMAGE_DIGEST: `sha256:${"3".repeat(64)}`,
  CCE4LONG_WORK_DIR: "/tmp/w",
  CCE4LONG_LOWER_DIR: "/tmp/l",
  CCE4LONG_IMAGE_DIRS: "/a,/b",
};

describe("boot agent config", () => {
  it("reads the local runtime's environment", async () => {
    expect(await loadAgentConfig(env)).toMatchObject({
      deployment: "development",
      sandbox: "bubblewrap",
      imageDirs: ["/a", "/b"],
    });
  });

  it("error: the environment source outside development", async () => {
    await expect(loadAgentConfig({ ...env, CCE4LONG_DEPLOYMENT: "production" })).rejects.toMatchObject({
      code: "CONFIG_INVALID",
    });
  });

  it("error: names what is missing, never a value", async () => {
    const error = await loadAgentConfig({
      ...env,
      CCE4LONG_JOB_ID: "nope",
      CCE4LONG_JOB_CREDENTIAL: undefined,
    }).catch((e: Error) => e);
    expect(error).toMatchObject({ code: "CONFIG_INVALID" });
    expect((error as Error).message).toContain("jobId");
    expect((error as Error).message).toContain("credential");
    expect((error as Error).message).not.toContain("nope");
  });

  it("reads instance metadata in the VM (production)", async () => {
    const values: Record<string, string> = {
      "cce4long-job-credential": "jc1.x.y",
      "cce4long-privacy-plane-url": "https://pp.example",
      "cce4long-job-id": env.CCE4LONG_JOB_ID,
      "cce4long-dataset-id": env.CCE4LONG_DATASET_ID,
      "cce4long-image-digest": env.CCE4LONG_IMAGE_DIGEST,
    };
    const fetchImpl = (async (url: string, init: RequestInit) => {
      expect((init.headers as Record<string, string>)["Metadata-Flavor"]).toBe("Google");
      return new Response(values[String(url).split("/").pop()!] ?? "", { status: 200 });
    }) as unknown as typeof fetch;
    expect(await loadAgentConfig({}, fetchImpl)).toMatchObject({
      deployment: "production",
      sandbox: "podman",
      credential: "jc1.x.y",
    });
  });
});

describe("outputs collection", () => {
  it("takes regular files with their hashes and skips links (which could point at /data)", async () => {
    const out = join(root, "out1");
    mkdirSync(join(out, "sub"), { recursive: true });
    writeFileSync(join(out, "a.csv"), "n\n1\n");
    writeFileSync(join(out, "sub", "b.txt"), "x");
    symlinkSync("/etc/hostname", join(out, "link.txt"));
    const collected = await collectOutputs(out, 1000);
    expect(collected.files.map((f) => f.path)).toEqual(["a.csv", "sub/b.txt"]);
    expect(collected.skipped).toEqual(["link.txt"]);
    expect(collected.files[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("error: outputs beyond the spec's byte limit", async () => {
    const out = join(root, "out2");
    mkdirSync(out);
    writeFileSync(join(out, "big.bin"), Buffer.alloc(2000));
    await expect(collectOutputs(out, 1000)).rejects.toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
  });
});

describe("directory images", () => {
  it("finds the folder whose files hash to the digest, and nothing for another digest", async () => {
    const images = join(root, "images");
    mkdirSync(join(images, "one"), { recursive: true });
    mkdirSync(join(images, "two"), { recursive: true });
    writeFileSync(join(images, "one", "main.py"), "print(1)");
    writeFileSync(join(images, "one", "README.md"), "not part of the image");
    writeFileSync(join(images, "two", "main.py"), "print(2)");
    const digest = await directoryDigest(join(images, "two"));
    expect(await findDirectoryImage([images], digest)).toBe(join(images, "two"));
    await expect(findDirectoryImage([images], `sha256:${"0".repeat(64)}`)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});
