/**
 * Publishing to Google Pub/Sub over its REST API from workerd:
 * POST {PUBSUB_ENDPOINT}/v1/projects/{project}/topics/{topic}:publish with base64 data. The same code
 * talks to Google (service-account bearer token) and to the local emulator (no token).
 */
import { Cce4longError } from "@cce4long/protocol";
import { z } from "zod";
import type { Config } from "../config";
import { type AccessTokenSource, noAccessToken, ServiceAccountTokenSource } from "./service-account";

export interface Publisher {
  /** Publishes one JSON message; resolves to Pub/Sub's message id. Throws QUEUE_UNAVAILABLE. */
  publish(topic: string, message: unknown, attributes: Record<string, string>): Promise<string>;
}

const PublishResponseSchema = z.object({ messageIds: z.array(z.string()).length(1) });

export function restPublisher(
  options: { endpoint: string; project: string; tokens: AccessTokenSource },
  fetcher: typeof fetch = (input, init) => fetch(input, init),
): Publisher {
  const base = options.endpoint.replace(/\/+$/, "");
  return {
    async publish(topic, message, attributes) {
      const url = `${base}/v1/projects/${encodeURIComponent(options.project)}/topics/${encodeURIComponent(topic)}:publish`;
      const token = await options.tokens.accessToken(Date.now());
      const data = base64(new TextEncoder().encode(JSON.stringify(message)));
      let response: Response;
      try {
        response = await fetcher(url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          },
          body: JSON.stringify({ messages: [{ data, attributes }] }),
          signal: AbortSignal.timeout(10_000),
        });
      } catch (error) {
        throw queueUnavailable({ topic, reason: "unreachable" }, error);
      }
      const parsed = PublishResponseSchema.safeParse(await response.json().catch(() => null));
      if (!response.ok || !parsed.success) {
        throw queueUnavailable({ topic, reason: "refused", status: response.status });
      }
      return parsed.data.messageIds[0]!;
    },
  };
}

function queueUnavailable(detail: Record<string, unknown>, cause?: unknown): Cce4longError {
  return new Cce4longError("QUEUE_UNAVAILABLE", "The job queue cannot be reached; try again", {
    cause,
    detail,
  });
}

const tokenSources = new WeakMap<Config, AccessTokenSource>();

/** The publisher for this configuration; the token source (and its cached token) lives per isolate. */
export function pubsubPublisher(config: Config): Publisher {
  let tokens = tokenSources.get(config);
  if (tokens === undefined) {
    tokens =
      config.PUBSUB_SERVICE_ACCOUNT_KEY === undefined
        ? noAccessToken
        : new ServiceAccountTokenSource(config.PUBSUB_SERVICE_ACCOUNT_KEY);
    tokenSources.set(config, tokens);
  }
  return restPublisher({ endpoint: config.PUBSUB_ENDPOINT, project: config.PUBSUB_PROJECT, tokens });
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
