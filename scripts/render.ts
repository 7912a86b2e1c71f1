/**
 * npm run render -- [--stack <name>] [--out <dir>] [--check | --update]
 *
 * Writes the desired state of a stack to out/<name>/ without Pulumi CLI,
 * cluster or credentials: the real program runs under Pulumi's mock runtime.
 * out/<stack>/ is committed: it is the snapshot a pull request's diff shows.
 * --check writes nothing: it renders into a scratch folder and compares with
 * out/<name>/ (or --out), printing a unified diff and exiting 1 when they
 * differ. --update (or no flag) rewrites it. Without --stack: every stack the
 * repository has (Pulumi.<stack>.yaml), one after the other.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { redactSecrets } from "./lib/mock-stack";
import { deploymentWarnings } from "../components/access-spec";
import { readStackSettings } from "../program/stack-settings";
import { PROJECT_ROOT, runStackUnderMocks } from "./lib/run-stack";
import { referenceFiles, renderArtifacts } from "./lib/artifacts";

const USAGE = "usage: npm run render -- [--stack <name>] [--out <dir>] [--check | --update]";

function parseArgs(argv: string[]): { stack?: string; out?: string; check: boolean } {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const known = new Set(["--stack", "--out", "--check", "--update"]);
  const unknown = argv.filter((a, i) => a.startsWith("--") && !known.has(a) && !["--stack", "--out"].includes(argv[i - 1]));
  if (unknown.length > 0) throw new Error(`${USAGE} (unknown ${unknown.join(", ")})`);
  if (argv.includes("--check") && argv.includes("--update")) throw new Error(`${USAGE} (--check or --update, not both)`);
  const stack = get("--stack");
  if (argv.includes("--stack") && (!stack || !/^[A-Za-z0-9_.-]+$/.test(stack))) throw new Error(`${USAGE} (got --stack ${JSON.stringify(stack)})`);
  if (!stack && argv.includes("--out")) throw new Error(`${USAGE} (--out needs --stack)`);
  return { stack, out: get("--out"), check: argv.includes("--check") };
}

/** The stacks this repository has a config file for. */
const repositoryStacks = () =>
  readdirSync(PROJECT_ROOT)
    .map((f) => /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();

/** Each stack in its own process: the program runs once per process under Pulumi's mock runtime. */
function renderEveryStack(check: boolean): void {
  for (const stack of repositoryStacks()) {
    const res = spawnSync(process.execPath, [...process.execArgv, __filename, "--stack", stack, ...(check ? ["--check"] : [])], { stdio: "inherit" });
    if (res.status !== 0) process.exitCode = 1;
  }
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
  const args = parseArgs(process.argv.slice(2));
  if (!args.stack) return renderEveryStack(args.check);
  const { stack, check } = args;
  const target = resolve(args.out ?? join(PROJECT_ROOT, "out", stack));
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
