/**
 * The Google Cloud Pub/Sub emulator (development only; production uses Google Pub/Sub). It ships
 * with the Debian package google-cloud-cli-pubsub-emulator; its state is in memory, so the
 * project's topics and subscriptions are created at every start.
 */
import { existsSync } from "node:fs";
import { Cce4longError } from "@cce4long/protocol";
import { LOCAL_PUBSUB_PROJECT, SUBSCRIPTIONS, TOPICS } from "@cce4long/protocol/queue/topics";
import { PubSub } from "@google-cloud/pubsub";
import { httpProbe, type ManagedProcess, spawnManaged, waitUntilReady } from "../process";

const LAUNCHERS = [
  "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator",
  "/usr/share/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator",
  "/opt/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator",
];

export function pubsubEmulatorLauncher(): string {
  const fromEnv = process.env.CCE4LONG_PUBSUB_EMULATOR;
  const found = fromEnv ? [fromEnv].find(existsSync) : LAUNCHERS.find(existsSync);
  if (!found) {
    throw new Cce4longError(
      "PLATFORM_SERVICE_FAILED",
      "the Google Pub/Sub emulator is not installed: install the Debian package google-cloud-cli-pubsub-emulator " +
        "(see README.md, Prerequisites) or set CCE4LONG_PUBSUB_EMULATOR to its cloud-pubsub-emulator launcher",
    );
  }
  return found;
}

export interface RunningPubSub {
  process: ManagedProcess;
  /** host:port, the value of PUBSUB_EMULATOR_HOST. */
  emulatorHost: string;
  projectId: string;
}

export async function startPubSubEmulator(options: {
  port: number;
  logFile: string;
}): Promise<RunningPubSub> {
  const proc = spawnManaged({
    name: "pubsub-emulator",
    command: pubsubEmulatorLauncher(),
    args: [`--host=127.0.0.1`, `--port=${options.port}`],
    logFile: options.logFile,
    env: { ...process.env, JAVA_TOOL_OPTIONS: "-Xmx512m" },
  });
  const emulatorHost = `127.0.0.1:${options.port}`;
  await waitUntilReady(proc, httpProbe(`http://${emulatorHost}/`), 30_000);
  await createTopology(emulatorHost, LOCAL_PUBSUB_PROJECT);
  return { process: proc, emulatorHost, projectId: LOCAL_PUBSUB_PROJECT };
}

/** Creates every topic and subscription of the project; existing ones are left as they are. */
export async function createTopology(emulatorHost: string, projectId: string): Promise<void> {
  // Against the emulator there is no GCE metadata server to find; looking for one only warns.
  process.env.METADATA_SERVER_DETECTION ??= "none";
  const pubsub = new PubSub({ projectId, apiEndpoint: emulatorHost, emulatorMode: true });
  try {
    for (const topic of Object.values(TOPICS)) {
      const [exists] = await pubsub.topic(topic).exists();
      if (!exists) await pubsub.createTopic(topic);
    }
    for (const sub of Object.values(SUBSCRIPTIONS)) {
      const [exists] = await pubsub.subscription(sub.name).exists();
      if (!exists) await pubsub.topic(sub.topic).createSubscription(sub.name, { ackDeadlineSeconds: 60 });
    }
  } finally {
    await pubsub.close();
  }
}
