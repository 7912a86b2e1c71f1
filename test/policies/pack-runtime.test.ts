/**
 * The policy pack on its own, as `pulumi policy publish` and another
 * repository get it: a copy of policies/ with nothing beside it, its own
 * dependencies installed from its own lockfile, type-checked by its own
 * TypeScript, and run through @pulumi/policy's runtime (started the way the
 * Pulumi CLI starts a pack, answering the engine's gRPC calls). Needs the npm
 * registry or a warm npm cache. Not proven here: `pulumi policy publish` itself.
 */
import { execFileSync, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import * as grpc from "@grpc/grpc-js";
import Ajv from "ajv";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policies, type StackResource } from "../../policies/rules";
import { startPluginProcess, unary } from "../support/grpc-plugin";
import { loadRecordedStack } from "../support/recorded-stacks";

const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");

const PACK = resolve(__dirname, "..", "..", "policies");
const packJson = JSON.parse(readFileSync(join(PACK, "package.json"), "utf8"));

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (f === "node_modules" || f === "bin") return [];
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith(".ts") ? [p] : [];
  });

describe("the policy pack's sources", () => {
  it("import nothing from outside policies/, and only packages the pack declares", () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(PACK)) {
      for (const [, spec] of readFileSync(file, "utf8").matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
        const where = `${relative(PACK, file)}: ${spec}`;
        if (spec.startsWith(".")) {
          if (relative(PACK, resolve(dirname(file), spec)).startsWith("..")) offenders.push(where);
        } else {
          const pkg = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
          if (!builtinModules.includes(spec.replace(/^node:/, "")) && !packJson.dependencies[pkg]) offenders.push(where);
        }
      }
    }
    expect(offenders).toEqual([]);
    expect(JSON.parse(readFileSync(join(PACK, "tsconfig.json"), "utf8")).extends).toBeUndefined();
  });
});

let work: string;
let pack: string;
let host: ChildProcess | undefined;
let client: any;
let dev: StackResource[];

/** Starts the pack the way the CLI's policy analyzer does: run-policy-pack <engine> <pack dir>, from the pack's own SDK. */
function startPack(dir: string): Promise<number> {
  const runner = join(dir, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack", "index.js");
  const started = startPluginProcess([runner, "127.0.0.1:0", "."], dir);
  host = started.child;
  return started.port;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "gateway-auth-policies-"));
  pack = join(work, "policies");
  cpSync(PACK, pack, { recursive: true, filter: (src) => !/\/(node_modules|bin)$/.test(src) });
  execFileSync("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: pack, stdio: "pipe" });
  const [port, stack] = await Promise.all([startPack(pack), loadRecordedStack("dev")]);
  client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  dev = stack;
});

afterAll(() => {
  client?.close();
  host?.kill();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The pack's policies and config schemas, as the engine asks for them. */
async function analyzerInfo() {
  const info = await unary<any>(client, "getAnalyzerInfo", new Empty());
  return info.getPoliciesList().map((p: any) => {
    const schema = p.getConfigschema();
    return {
      name: p.getName() as string,
      level: p.getEnforcementlevel() as number,
      schema: schema ? { type: "object", properties: schema.getProperties()?.toJavaScript() ?? {}, required: schema.getRequiredList() } : undefined,
    };
  });
}

/** Sets the pack's config as `--policy-pack-config <file>` does (a policy keeps its own enforcement level). */
async function configure(config: Record<string, Record<string, unknown>>) {
  const levels = new Map<string, number>((await analyzerInfo()).map((p: { name: string; level: number }) => [p.name, p.level]));
  const req = new analyzerPb.ConfigureAnalyzerRequest();
  for (const [name, props] of Object.entries(config)) {
    const pc = new analyzerPb.PolicyConfig();
    pc.setProperties(Struct.fromJavaScript(props as any));
    pc.setEnforcementlevel(levels.get(name));
    req.getPolicyconfigMap().set(name, pc);
  }
  await unary(client, "configure", req);
}

function analyzerResource<T>(make: () => T, r: StackResource): T {
  const msg: any = make();
  msg.setType(r.type);
  msg.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(r.props ?? {}))));
  msg.setUrn(r.urn);
  msg.setName(r.name);
  msg.setOptions(new analyzerPb.AnalyzerResourceOptions());
  if (msg.setDependenciesList) {
    msg.setDependenciesList(r.dependsOn ?? []);
    for (const [prop, deps] of Object.entries(r.propertyDependencies ?? {})) {
      msg.getPropertydependenciesMap().set(prop, new analyzerPb.AnalyzerPropertyDependencies().setUrnsList(deps.map((d) => d.urn)));
    }
  }
  return msg;
}

/** Every violation the pack reports for a stack: each resource through Analyze, then the stack through AnalyzeStack. */
async function analyze(resources: StackResource[]): Promise<string[]> {
  const diagnostics: any[] = [];
  for (const r of resources)
    diagnostics.push(
      ...(
        await unary<any>(
          client,
          "analyze",
          analyzerResource(() => new analyzerPb.AnalyzeRequest(), r),
        )
      ).getDiagnosticsList(),
    );
  const stack = new analyzerPb.AnalyzeStackRequest();
  stack.setResourcesList(resources.map((r) => analyzerResource(() => new analyzerPb.AnalyzerResource(), r)));
  diagnostics.push(...(await unary<any>(client, "analyzeStack", stack)).getDiagnosticsList());
  return diagnostics.map((d) => d.getPolicyname() as string).sort();
}

describe("the policy pack, copied alone and run by @pulumi/policy", () => {
  it("type-checks with its own dependencies and TypeScript", () => {
    const out = spawnSync(join(pack, "node_modules", ".bin", "tsc"), ["-p", ".", "--noEmit"], { cwd: pack, encoding: "utf8" });
    expect(out.stdout + out.stderr).toBe("");
    expect(out.status).toBe(0);
  });

  it("serves every policy of the rules module, with its config schema", async () => {
    const info = await analyzerInfo();
    expect(info.map((p: { name: string }) => p.name).sort()).toEqual(policies.map((p) => p.name).sort());
    expect(info.filter((p: { schema?: object }) => p.schema).length).toBeGreaterThan(0);
  });

  it("accepts the per-environment config files under its own config schemas, and refuses a bad one", async () => {
    const schemas = new Map<string, object | undefined>((await analyzerInfo()).map((p: { name: string; schema?: object }) => [p.name, p.schema]));
    const ajv = new Ajv({ allErrors: true });
    const problems = (config: Record<string, unknown>) =>
      Object.entries(config).flatMap(([name, value]) => {
        if (!schemas.has(name)) return [`${name}: no such policy`];
        const schema = schemas.get(name);
        if (!schema) return [`${name}: takes no config`];
        const check = ajv.compile(schema);
        return check(value) ? [] : check.errors!.map((e) => `${name}${e.instancePath} ${e.message}`);
      });
    for (const file of readdirSync(PACK).filter((f) => /^config\..+\.json$/.test(f))) {
      expect(problems(JSON.parse(readFileSync(join(PACK, file), "utf8"))), file).toEqual([]);
    }
    expect(problems({ "keycloak-access-token-lifespan": { environment: "qa" }, "no-such-policy": {} })).toEqual([
      expect.stringMatching(/^keycloak-access-token-lifespan\/environment must be equal to one of the allowed values/),
      "no-such-policy: no such policy",
    ]);
  });

  it("passes the dev stack with config.dev.json, and refuses it under the default (prod) rules", async () => {
    await configure(JSON.parse(readFileSync(join(PACK, "config.dev.json"), "utf8")));
    expect(await analyze(dev)).toEqual([]);
    await configure({});
    expect(await analyze(dev)).toEqual(["keycloak-realm-ssl-and-brute-force"]);
  }, 120_000);
});
