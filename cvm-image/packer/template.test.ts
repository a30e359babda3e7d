/**
 * Checks of the Packer template and what it installs (runs in Node under vitest, on a developer machine or
 * CI; offline). Runs Debian's packer (1.6.6) for `fmt -check` and a full `validate`, then asserts in the
 * text that every input is pinned. Fails, never skips, when packer is missing: CI installs it.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseExpectedMeasurements } from "@cce4long/protocol/attestation/expected-measurements";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const PACKER_DIR = import.meta.dirname;
const IMAGE_DIR = join(PACKER_DIR, "..");
const TEMPLATE_FILE = join(PACKER_DIR, "cce4long-cvm.pkr.hcl");
const template = readFileSync(TEMPLATE_FILE, "utf8");
const SCRIPTS_DIR = join(PACKER_DIR, "scripts");
const scripts = readdirSync(SCRIPTS_DIR)
  .filter((name) => name.endsWith(".sh"))
  .map((name) => ({ name, text: readFileSync(join(SCRIPTS_DIR, name), "utf8") }));

/** Runs packer from the template's folder (packer 1.6.6 resolves relative paths from the working directory). */
function packer(args: string[]): { status: number | null; output: string } {
  const result = spawnSync("packer", args, {
    cwd: PACKER_DIR,
    encoding: "utf8",
    env: { ...process.env, CHECKPOINT_DISABLE: "1", PACKER_LOG: "" },
    timeout: 60_000,
  });
  if (result.error && (result.error as NodeJS.ErrnoException).code === "ENOENT") {
    throw new Error(
      "packer is not installed or not on PATH: install Debian's packer (`apt-get install packer`, 1.6.6) to check the image template",
    );
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** `variable "name" { ... }` blocks of the template, with their default when they have one. */
function variables(): Map<string, { body: string; default: string | undefined }> {
  const found = new Map<string, { body: string; default: string | undefined }>();
  for (const match of template.matchAll(/^variable "([a-z0-9_]+)" \{\n([\s\S]*?)^\}/gm)) {
    const body = match[2]!;
    const value = /^\s*default\s*=\s*(?:"([^"]*)"|(\S+))/m.exec(body);
    found.set(match[1]!, { body, default: value ? (value[1] ?? value[2]) : undefined });
  }
  return found;
}

describe("packer on the image template", () => {
  let workDir: string;
  let bundle: string;
  let bundleSha256: string;
  const commit = "a334429b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f";

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), "cce4long-packer-"));
    bundle = join(workDir, "cce4long-boot-agent.tar.gz");
    writeFileSync(bundle, "stand-in for the reproducibly built boot agent bundle\n");
    bundleSha256 = createHash("sha256").update(readFileSync(bundle)).digest("hex");
  });
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it("is the packer the template is written for (1.6.x has the googlecompute builder built in)", () => {
    const { status, output } = packer(["version"]);
    expect(status).toBe(0);
    expect(output).toMatch(/Packer v1\.\d+\.\d+/);
  });

  it("is formatted canonically (packer fmt -check)", () => {
    const { status, output } = packer(["fmt", "-check", "-diff", "."]);
    expect(output).toBe("");
    expect(status).toBe(0);
  });

  it("passes packer validate -syntax-only", () => {
    const { status, output } = packer(["validate", "-syntax-only", "."]);
    expect(output).toContain("Syntax-only check passed");
    expect(status).toBe(0);
  });

  it("passes a full packer validate offline given a commit and a bundle with its sha256", () => {
    const vars = ["-var", `build_commit=${commit}`, "-var", `boot_agent_bundle=${bundle}`];
    const { status, output } = packer([
      "validate",
      ...vars,
      "-var",
      `boot_agent_bundle_sha256=${bundleSha256}`,
      ".",
    ]);
    expect(output.trim()).toBe("");
    expect(status).toBe(0);
  });

  it("error: refuses an abbreviated commit and a malformed bundle sha256", () => {
    const short = packer([
      "validate",
      ...["-var", "build_commit=a334429", "-var", `boot_agent_bundle=${bundle}`],
      ...["-var", `boot_agent_bundle_sha256=${bundleSha256}`, "."],
    ]);
    expect(short.status).not.toBe(0);
    expect(short.output).toContain("build_commit must be a full 40-digit");

    const upper = packer([
      "validate",
      ...["-var", `build_commit=${commit}`, "-var", `boot_agent_bundle=${bundle}`],
      ...["-var", `boot_agent_bundle_sha256=${bundleSha256.toUpperCase()}`, "."],
    ]);
    expect(upper.status).not.toBe(0);
    expect(upper.output).toContain("boot_agent_bundle_sha256 must be 64 lowercase hex");
  });

  it("error: refuses to validate without the commit and bundle digest (they have no defaults)", () => {
    const { status } = packer(["validate", "."]);
    expect(status).not.toBe(0);
  });
});

describe("pinning of every input in the template", () => {
  const vars = variables();

  it("uses an exact source image and project, never an image family", () => {
    expect(template).not.toMatch(/source_image_family/);
    expect(template).not.toMatch(/\/family\//);
    expect(vars.get("source_image")?.default).toMatch(/^ubuntu-2404-noble-amd64-v\d{8}[a-z]?$/);
    expect(vars.get("source_image_project")?.default).toBe("ubuntu-os-cloud");
    expect(template).toMatch(/source_image\s+= var\.source_image\n/);
  });

  it("pairs every download URL with a sha256 variable of 64 hex digits", () => {
    const urlVars = [...vars.keys()].filter((name) => name.endsWith("_url"));
    expect(urlVars.sort()).toEqual(["node_url"]);
    for (const name of urlVars) {
      expect(vars.get(name)?.default, name).toMatch(/^https:\/\//);
      expect(vars.get(name.replace(/_url$/, "_sha256"))?.default, `${name} needs a sha256`).toMatch(
        /^[0-9a-f]{64}$/,
      );
    }
  });

  it("has no URL outside the *_url variables (every fetched byte is checked)", () => {
    const urls = [...template.matchAll(/https?:\/\/[^\s"]+/g)].map((m) => m[0]);
    const pinned = [...vars.entries()].filter(([name]) => name.endsWith("_url")).map(([, v]) => v.default);
    expect(urls.sort()).toEqual(pinned.sort());
  });

  it("pins versions of Node and the container runtime, and a dated apt snapshot (and installs no JuiceFS)", () => {
    expect(template).not.toMatch(/juicefs/i);
    expect(vars.get("node_url")?.default).toContain(`-${vars.get("node_version")?.default}.tgz`);
    expect(vars.get("podman_version")?.default).toMatch(/^\d+\.\d+\.\d+\+ds\d+-\S+$/);
    expect(vars.get("nftables_version")?.default).toMatch(/^\d+\.\d+\.\d+-\S+$/);
    expect(vars.get("fuse3_version")?.default).toMatch(/^\d+\.\d+\.\d+-\S+$/);
    expect(vars.get("apt_snapshot")?.default).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it("names the boot agent bundle by a sha256 with no default, and checks it before and after upload", () => {
    expect(vars.get("boot_agent_bundle_sha256")?.default).toBeUndefined();
    expect(template).toContain(
      `\${var.boot_agent_bundle_sha256}  \${var.boot_agent_bundle}' | sha256sum -c -`,
    );
    expect(scripts.find((s) => s.name === "30-boot-agent.sh")?.text).toContain("sha256sum -c -");
  });

  it("defaults to a production build (debug = false) and names debug images apart", () => {
    expect(vars.get("debug")?.default).toBe("false");
    expect(vars.get("debug")?.body).toMatch(/type\s+= bool/);
    expect(template).toContain(`cce4long-cvm-\${var.debug ? "debug-" : ""}`);
  });

  it("builds with Shielded VM options, TDX-capable C3 and no external IP", () => {
    for (const line of [
      "enable_secure_boot          = true",
      "enable_vtpm                 = true",
      "enable_integrity_monitoring = true",
      'on_host_maintenance         = "TERMINATE"',
      "omit_external_ip = true",
    ]) {
      expect(template).toContain(line);
    }
    expect(vars.get("build_machine_type")?.default).toMatch(/^c3-/);
  });
});

describe("what the build scripts install", () => {
  it("downloads only through fetch_verified, and always with a pinned sha256", () => {
    for (const { name, text } of scripts) {
      const lines = text.split("\n");
      lines.forEach((line, index) => {
        if (/\b(curl|wget)\b/.test(line)) {
          // The one allowed use: inside fetch_verified's body, right after its definition.
          expect(lines[index - 1], `${name}:${index + 1}`).toMatch(/^fetch_verified\(\) \{/);
        }
        if (/^fetch_verified "/.test(line)) {
          expect(line, `${name}:${index + 1}`).toMatch(/^fetch_verified "\$[A-Z_]+_URL" "\$[A-Z_]+_SHA256" /);
        }
      });
    }
  });

  it("installs apt packages only at pinned versions from the snapshot", () => {
    const apt = scripts.find((s) => s.name === "10-apt-pinned.sh")!.text;
    expect(apt).toContain(`https://snapshot.ubuntu.com/ubuntu/\${APT_SNAPSHOT}`);
    const install = /apt-get install -y --no-install-recommends \\\n([\s\S]*?)\napt-mark/.exec(apt)![1]!;
    const packages = install.split("\\\n").map((item) => item.trim().replace(/"/g, ""));
    expect(packages).toEqual([
      `podman=\${PODMAN_VERSION}`,
      `nftables=\${NFTABLES_VERSION}`,
      `fuse3=\${FUSE3_VERSION}`,
    ]);
    for (const { name, text } of scripts) {
      expect(text.match(/apt-get install/g)?.length ?? 0, name).toBe(name === "10-apt-pinned.sh" ? 1 : 0);
      expect(text, name).not.toMatch(/apt-get (?:dist-)?upgrade/);
    }
  });

  it("removes sshd and the guest agent unless the build is a debug build", () => {
    const ssh = scripts.find((s) => s.name === "90-remove-ssh.sh")!.text;
    const lockdown = scripts.find((s) => s.name === "80-lockdown.sh")!.text;
    expect(ssh).toMatch(
      /CCE4LONG_DEBUG:-false\}" = "true"[\s\S]*exit 0[\s\S]*apt-get purge -y openssh-server/,
    );
    expect(lockdown).toMatch(/CCE4LONG_DEBUG:-false\}" = "true"[\s\S]*exit 0[\s\S]*google-guest-agent/);
    expect(lockdown).toContain("touch /etc/cloud/cloud-init.disabled");
    expect(template).toMatch(/script\s+= "scripts\/90-remove-ssh.sh"\n\s+expect_disconnect = true/);
  });
});

describe("the files the image carries", () => {
  it("denies all traffic by default and lets out only metadata, the Privacy Plane and object storage", () => {
    const nft = readFileSync(join(IMAGE_DIR, "nftables", "cce4long.nft"), "utf8");
    for (const chain of ["input", "forward", "output"]) {
      expect(nft).toMatch(
        new RegExp(`chain ${chain} \\{\\n\\t\\ttype filter hook ${chain} priority filter; policy drop;`),
      );
    }
    const accepts = nft
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line.endsWith("accept") && line.startsWith("ip daddr"));
    expect(accepts).toEqual([
      "ip daddr 169.254.169.254 tcp dport { 53, 80 } accept",
      "ip daddr 169.254.169.254 udp dport { 53, 123 } accept",
      "ip daddr @privacy_plane tcp dport 443 accept",
      "ip daddr @object_store tcp dport 443 accept",
    ]);
  });

  it("runs the boot agent as a hardened, single-use systemd unit after the firewall", () => {
    const unit = readFileSync(join(IMAGE_DIR, "systemd", "cce4long-boot-agent.service"), "utf8");
    for (const line of [
      "Requires=nftables.service",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "ProtectHome=yes",
      "PrivateTmp=yes",
      "ProtectKernelModules=yes",
      "RestrictSUIDSGID=yes",
      "DevicePolicy=closed",
      "Restart=no",
      "FailureAction=poweroff-force",
      "ExecStart=/opt/cce4long/node/bin/node --disable-proto=throw /opt/cce4long/boot-agent/main.js",
    ]) {
      expect(unit).toContain(`\n${line}\n`);
    }
    expect(unit).toMatch(/\nCapabilityBoundingSet=(?:CAP_[A-Z_]+ ?)+\n/);
    expect(unit).not.toContain("CAP_SYS_MODULE");
  });

  it("records the expected measurement in a file the protocol schema accepts", () => {
    const file = parseExpectedMeasurements(
      JSON.parse(readFileSync(join(IMAGE_DIR, "measurements", "expected.json"), "utf8")),
    );
    expect(file.entries.length).toBeGreaterThan(0);
  });

  it("error: the measurement schema refuses a recorded entry without registers", () => {
    expect(() =>
      parseExpectedMeasurements({
        schema: "cce4long/expected-measurements/v1",
        entries: [{ schema: "cce4long/expected-measurements/v1", status: "recorded" }],
      }),
    ).toThrow(/Expected measurements invalid/);
  });
});
