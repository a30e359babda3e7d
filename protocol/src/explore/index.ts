/**
 * Explore Mode formats (runs anywhere): the provider's sample policy and the sample's report.
 */
export * from "./sample-policy";
