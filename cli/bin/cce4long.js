#!/usr/bin/env node
// The `cce4long` command (runs on the user's machine). Loads the TypeScript sources through tsx.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
