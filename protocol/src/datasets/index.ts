/**
 * Dataset schemas (runs anywhere): column roles and the synthetic longevity cohort's dictionary.
 */
export * from "./column-roles";
export * from "./longevity-cohort";
