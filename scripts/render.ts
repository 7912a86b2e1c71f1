/**
 * npm run render -- --stack <name> [--out <dir>]
 *
 * Writes the desired state of a stack to out/<name>/ without Pulumi CLI,
 * cluster or credentials: the real program runs under Pulumi's mock runtime.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { redactSecrets } from "./lib/mock-stack";
import { deploymentWarnings } from "../components/access-spec";
import { readStackSettings } from "../program/stack-settings";
import { PROJECT_ROOT, runStackUnderMocks } from "./lib/run-stack";
import { referenceFiles, renderArtifacts } from "./lib/artifacts";

function parseArgs(argv: string[]): { stack: string; out: string } {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const stack = get("--stack");
  if (!stack || !/^[A-Za-z0-9_.-]+$/.test(stack)) {
    throw new Error(`usage: npm run render -- --stack <name> [--out <dir>] (got --stack ${JSON.stringify(stack)})`);
  }
  return { stack, out: resolve(get("--out") ?? join(PROJECT_ROOT, "out", stack)) };
}

async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  const { stack, out } = parseArgs(process.argv.slice(2));
  const { recorder } = await runStackUnderMocks(stack);
  const artifacts = renderArtifacts();
  const resources = [...recorder.resources]
    .sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name))
    .map((r) => ({
      type: r.type,
      name: r.name,
      parent: r.parent ?? null,
      dependsOn: r.dependsOn,
      inputs: referenceFiles(redactSecrets(r.inputs), artifacts.references),
    }));
  const files: Record<string, string> = { "resources.json": `${JSON.stringify(resources, null, 2)}\n`, ...artifacts.files };
  // The repository's own out/<stack> holds this stack's render and nothing else: files of an earlier render go.
  if (dirname(out) === join(PROJECT_ROOT, "out")) rmSync(out, { recursive: true, force: true });
  for (const [rel, content] of Object.entries(files)) {
    const path = join(out, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  const { spec } = readStackSettings();
  for (const warning of deploymentWarnings(spec)) console.warn(`WARNING: ${warning}`);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`render ${stack}: ${resources.length} resources, ${Object.keys(files).length} files in ${out} (${ms.toFixed(0)} ms)`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
