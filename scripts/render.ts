/**
 * npm run render -- --stack <name> [--out <dir>] [--check]
 *
 * Writes the desired state of a stack to out/<name>/ without Pulumi CLI,
 * cluster or credentials: the real program runs under Pulumi's mock runtime.
 * --check writes nothing: it renders into a scratch folder and compares with
 * out/<name>/ (the committed snapshot, or --out), printing a unified diff and
 * exiting 1 when they differ (`npm run render:check` checks dev and prod; a
 * plain render, or `npm run render:stacks`, updates them).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { redactSecrets } from "./lib/mock-stack";
import { deploymentWarnings } from "../components/access-spec";
import { readStackSettings } from "../program/stack-settings";
import { PROJECT_ROOT, runStackUnderMocks } from "./lib/run-stack";
import { referenceFiles, renderArtifacts } from "./lib/artifacts";

function parseArgs(argv: string[]): { stack: string; out: string; check: boolean } {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const stack = get("--stack");
  if (!stack || !/^[A-Za-z0-9_.-]+$/.test(stack)) {
    throw new Error(`usage: npm run render -- --stack <name> [--out <dir>] [--check] (got --stack ${JSON.stringify(stack)})`);
  }
  return { stack, out: resolve(get("--out") ?? join(PROJECT_ROOT, "out", stack)), check: argv.includes("--check") };
}

/** The snapshot against a fresh render: `diff -ru` (files as a reviewer reads them); exit 1 with the diff when they differ. */
function checkAgainst(snapshot: string, fresh: string, stack: string): void {
  const diff = spawnSync("diff", ["-ru", "--label", `${snapshot} (committed)`, "--label", `render --stack ${stack} (now)`, snapshot, fresh], {
    encoding: "utf8",
  });
  if (diff.error) throw new Error(`render --check needs diff(1): ${diff.error.message}`);
  if (diff.status === 0) {
    console.log(`render --check ${stack}: ${snapshot} is what the code renders`);
    return;
  }
  // diff's labels apply to the top level; nested files keep their paths relative to each side.
  console.log(diff.stdout.split(fresh).join(`render --stack ${stack} (now)`));
  console.log(`render --check ${stack}: ${snapshot} differs from what the code renders (npm run render -- --stack ${stack} updates it)`);
  process.exitCode = 1;
}

async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  const { stack, out: target, check } = parseArgs(process.argv.slice(2));
  const out = check ? mkdtempSync(join(tmpdir(), `render-check-${stack}-`)) : target;
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
  if (check) {
    try {
      checkAgainst(target, out, stack);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    return;
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`render ${stack}: ${resources.length} resources, ${Object.keys(files).length} files in ${out} (${ms.toFixed(0)} ms)`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
