/**
 * The edge API's configuration, parsed once per isolate from the Worker's bindings (runs in workerd).
 * Nothing else reads `env` vars directly. A missing or malformed value stops every request with a
 * CONFIG_INVALID problem that names the variable, never its value (some of them are secrets).
 */
import { Cce4longError } from "@cce4long/protocol";
import { z } from "zod";
import { ServiceAccountKeySchema } from "./pubsub/service-account";
import { WebhookSecretSchema } from "./webhooks/signature";

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });
const nonEmpty = z.string().trim().min(1, "must not be empty");

const ConfigSchema = z
  .object({
    DEPLOYMENT: z.enum(["development", "production"]),
    RPC_URL: httpUrl,
    CHAIN_ID: integer(1, Number.MAX_SAFE_INTEGER),
    HUB_ADDRESS: z
      .string()
      .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte hex address")
      .refine((a) => !/^0x0{40}$/.test(a), "must not be the zero address")
      .transform((a) => a as `0x${string}`),
    HUB_DEPLOYED_BLOCK: integer(0, Number.MAX_SAFE_INTEGER).default(0),
    SIWE_DOMAIN: z
      .string()
      .regex(/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/, "must be an RFC 3986 authority: host or host:port"),
    TOKEN_SECRET: z.string().min(32, "must be at least 32 characters"),
    TOKEN_TTL_SECONDS: integer(60, 3600).default(900),
    NONCE_TTL_SECONDS: integer(30, 3600).default(300),
    PUBSUB_ENDPOINT: httpUrl,
    PUBSUB_PROJECT: nonEmpty,
    PUBSUB_JOBS_TOPIC: nonEmpty,
    PUBSUB_INGEST_TOPIC: nonEmpty,
    OBJECT_STORE_ENDPOINT: httpUrl,
    OBJECT_STORE_REGION: nonEmpty.default("auto"),
    OBJECT_STORE_BUCKET: nonEmpty,
    OBJECT_STORE_ACCESS_KEY_ID: nonEmpty,
    OBJECT_STORE_SECRET_ACCESS_KEY: nonEmpty,
    PRIVACY_PLANE_URL: httpUrl,
    ALLOWED_ORIGINS: z
      .string()
      .transform((s) =>
        s
          .split(",")
          .map((o) => o.trim())
          .filter((o) => o.length > 0),
      )
      .pipe(
        z.array(
          z.union([z.literal("*"), z.url({ protocol: /^https?$/ }).transform((u) => new URL(u).origin)]),
        ),
      ),
    RATE_LIMIT_PER_MINUTE: integer(1, 1_000_000).default(600),
    RESULT_URL_TTL_SECONDS: integer(30, 3600).default(300),
    /** Edge-cache lifetime of public catalogue reads; 0 = always read the chain. */
    CATALOGUE_CACHE_SECONDS: integer(0, 300).default(0),
    // Secrets of the job queue and the Privacy Plane link (routes/jobs, reviews, webhooks). Optional
    // in development (the emulator needs no token; the internal event endpoint is then closed),
    // required in production (below).
    PUBSUB_SERVICE_ACCOUNT_KEY: ServiceAccountKeySchema.optional(),
    PRIVACY_PLANE_API_TOKEN: z.string().min(32, "must be at least 32 characters").optional(),
    PRIVACY_PLANE_EVENTS_SECRET: WebhookSecretSchema.optional(),
    MAX_BODY_BYTES: integer(1024, 100 * 1024 * 1024).default(64 * 1024),
  })
  .superRefine((c, ctx) => {
    if (c.DEPLOYMENT !== "production") return;
    // Production talks to the outside world: no cleartext endpoints, no wildcard CORS.
    for (const key of ["RPC_URL", "PUBSUB_ENDPOINT", "OBJECT_STORE_ENDPOINT", "PRIVACY_PLANE_URL"] as const) {
      if (!c[key].startsWith("https://")) {
        ctx.addIssue({ code: "custom", path: [key], message: "must use https in production" });
      }
    }
    for (const key of [
      "PUBSUB_SERVICE_ACCOUNT_KEY",
      "PRIVACY_PLANE_API_TOKEN",
      "PRIVACY_PLANE_EVENTS_SECRET",
    ] as const) {
      if (c[key] === undefined)
        ctx.addIssue({ code: "custom", path: [key], message: "is required in production" });
    }
    if (c.ALLOWED_ORIGINS.includes("*")) {
      ctx.addIssue({ code: "custom", path: ["ALLOWED_ORIGINS"], message: "must not be * in production" });
    }
  });

export type Config = z.output<typeof ConfigSchema>;

// `env` is the same object for every request of an isolate, so this parses once per isolate; a
// different env object (tests that override bindings) gets its own parse.
const cache = new WeakMap<object, Config | Cce4longError>();

/** The validated configuration; throws CONFIG_INVALID naming each bad variable. */
export function loadConfig(env: object): Config {
  let entry = cache.get(env);
  if (entry === undefined) {
    entry = parseConfig(env);
    cache.set(env, entry);
  }
  if (entry instanceof Cce4longError) throw entry;
  return entry;
}

function parseConfig(env: object): Config | Cce4longError {
  const parsed = ConfigSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  // zod's messages describe the rule, not the input (we never ask it to report input), so they are
  // safe to show; the variable names are what an operator needs.
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`,
  );
  return new Cce4longError("CONFIG_INVALID", `Invalid configuration: ${problems.join("; ")}`, {
    detail: { variables: parsed.error.issues.map((i) => i.path.join(".")) },
  });
}
