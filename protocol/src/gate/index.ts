/**
 * The Output Gate's policy and report formats (runs anywhere).
 */
export * from "./policy";
export * from "./report";
