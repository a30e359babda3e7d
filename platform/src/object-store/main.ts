/**
 * Process entry of the local object store (development only), started by `npm start` and the
 * test setup. Configuration comes from the environment, parsed once here.
 */
import { z } from "zod";
import { startObjectStore } from "./server";

const Env = z.object({
  OBJECT_STORE_PORT: z.coerce.number().int().min(1).max(65535),
  OBJECT_STORE_DIR: z.string().min(1),
  OBJECT_STORE_ACCESS_KEY_ID: z.string().min(8),
  OBJECT_STORE_SECRET_ACCESS_KEY: z.string().min(16),
  OBJECT_STORE_BUCKETS: z.string().min(1),
});

const parsed = Env.safeParse(process.env);
if (!parsed.success) {
  const names = parsed.error.issues.map((i) => i.path.join(".")).join(", ");
  process.stderr.write(`object-store: invalid or missing configuration: ${names}\n`);
  process.exit(2);
}
const env = parsed.data;
const store = await startObjectStore({
  port: env.OBJECT_STORE_PORT,
  directory: env.OBJECT_STORE_DIR,
  credentials: [
    { accessKeyId: env.OBJECT_STORE_ACCESS_KEY_ID, secretAccessKey: env.OBJECT_STORE_SECRET_ACCESS_KEY },
  ],
  buckets: env.OBJECT_STORE_BUCKETS.split(","),
});
process.stdout.write(`object-store listening on ${store.endpoint}\n`);
const shutdown = () => {
  store.close().finally(() => process.exit(0));
};
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
