/**
 * Offline Solidity compilation with solc-js standard JSON (runs on the developer's machine and in CI).
 * Shared by the binding generator (build.ts) and by tests that compile test-only contracts.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import solc from "solc";

/** Compiler settings of every build; changing them changes the bytecode and the generated files. */
export const COMPILER_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "cancun",
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
} as const;

export interface CompiledContract {
  /** Source unit name, e.g. "src/Cce4longHub.sol". */
  source: string;
  name: string;
  abi: readonly unknown[];
  /** Creation code, 0x-prefixed; "0x" for abstract contracts and interfaces. */
  bytecode: `0x${string}`;
  /** Runtime code, 0x-prefixed. */
  deployedBytecode: `0x${string}`;
}

export interface CompileResult {
  compilerVersion: string;
  contracts: CompiledContract[];
  warnings: string[];
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<
    string,
    Record<
      string,
      { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }
    >
  >;
}

/** Every `.sol` file under `dir`, keyed by its path relative to `base` (forward slashes), sorted. */
export function readSources(dir: string, base: string): Record<string, string> {
  const files: string[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".sol")) files.push(path);
    }
  };
  walk(dir);
  files.sort();
  return Object.fromEntries(
    files.map((file) => [relative(base, file).split(sep).join("/"), readFileSync(file, "utf8")]),
  );
}

/** Compiles in-memory sources; throws with every compiler error when there is one. */
export function compileSources(sources: Record<string, string>): CompileResult {
  const input = {
    language: "Solidity",
    sources: Object.fromEntries(Object.entries(sources).map(([name, content]) => [name, { content }])),
    settings: COMPILER_SETTINGS,
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const problems = output.errors ?? [];
  const errors = problems.filter((problem) => problem.severity === "error");
  if (errors.length > 0) {
    throw new Error(`solc failed:\n${errors.map((error) => error.formattedMessage).join("\n")}`);
  }
  const contracts: CompiledContract[] = [];
  for (const source of Object.keys(output.contracts ?? {}).sort()) {
    const units = output.contracts?.[source] ?? {};
    for (const name of Object.keys(units).sort()) {
      const unit = units[name]!;
      contracts.push({
        source,
        name,
        abi: unit.abi,
        bytecode: `0x${unit.evm.bytecode.object}`,
        deployedBytecode: `0x${unit.evm.deployedBytecode.object}`,
      });
    }
  }
  return {
    compilerVersion: solc.version(),
    contracts,
    warnings: problems.filter((problem) => problem.severity !== "error").map((p) => p.formattedMessage),
  };
}

/** Compiles every `.sol` file under `dir` (source names relative to `base`). */
export function compileDirectory(dir: string, base: string): CompileResult {
  return compileSources(readSources(dir, base));
}

/** The compiled contract called `name`; throws when absent. */
export function contractNamed(result: CompileResult, name: string): CompiledContract {
  const found = result.contracts.find((contract) => contract.name === name);
  if (!found) throw new Error(`contract ${name} not found in the compiler output`);
  return found;
}
