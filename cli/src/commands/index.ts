/**
 * The CLI's command groups (runs on the user's machine). Each group lives in its own file and
 * registers itself on the root program; add one line here per group.
 */
import type { Command } from "commander";
import type { Output } from "../output";
import { attestCommands } from "./attest";
import { auditCommands } from "./audit";
import { cohortCommands } from "./cohort";
import { datasetCommands } from "./dataset";
import { exploreCommands } from "./explore";
import { fileCommands } from "./file";
import { jobCommands } from "./job";
import { manifestCommands } from "./manifest";
import { reviewCommands } from "./review";

export type CommandGroup = (program: Command, output: () => Output) => void;

export const COMMAND_GROUPS: CommandGroup[] = [
  attestCommands,
  auditCommands,
  cohortCommands,
  datasetCommands,
  exploreCommands,
  fileCommands,
  jobCommands,
  manifestCommands,
  reviewCommands,
];
