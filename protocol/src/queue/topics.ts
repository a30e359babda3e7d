/**
 * Google Pub/Sub topics and subscriptions of cce4long (runs anywhere). The edge API publishes,
 * the Privacy Plane subscribes. The same names are used on GCP and on the local emulator.
 */
export const TOPICS = {
  /** Privacy Mode job submissions (edge API -> Privacy Plane). */
  jobs: "cce4long-jobs",
  /** Completed upload sessions to ingest (edge API -> Privacy Plane). */
  ingest: "cce4long-ingest",
  /** Review decisions forwarded by the edge API (edge API -> Privacy Plane, which owns gate state). */
  reviews: "cce4long-reviews",
  /** Messages that failed delivery too often. */
  deadLetter: "cce4long-dead-letter",
} as const;

export const SUBSCRIPTIONS = {
  jobs: { name: "cce4long-jobs-privacy-plane", topic: TOPICS.jobs },
  ingest: { name: "cce4long-ingest-privacy-plane", topic: TOPICS.ingest },
  reviews: { name: "cce4long-reviews-privacy-plane", topic: TOPICS.reviews },
  deadLetter: { name: "cce4long-dead-letter-inspect", topic: TOPICS.deadLetter },
} as const;

/** The GCP project id the local emulator uses. */
export const LOCAL_PUBSUB_PROJECT = "cce4long-local";
