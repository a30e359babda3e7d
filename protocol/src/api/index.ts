/**
 * The edge API's public request and response schemas (zod), shared with the CLI and SDK.
 * Runs anywhere: no Node built-ins, no secrets.
 */

export * from "./algorithms";
export * from "./auth";
export * from "./catalogue";
export * from "./common";
export * from "./explore";
export * from "./jobs";
export * from "./policies";
export * from "./problem";
export * from "./rentals";
export * from "./results";
export * from "./reviews";
export * from "./segmented-sha256";
export * from "./upload-authorization";
export * from "./uploads";
export * from "./webhooks";
