/**
 * The package as a consumer gets it: `npm pack` (which builds), the tarball
 * installed into a copy of examples/typescript (its own package.json), then
 * imported from plain JavaScript, compiled by plain `tsc` with
 * isolatedModules, and run under Pulumi's mocks with the consumer's own SDK.
 * Needs the npm registry or a warm npm cache for the peer dependencies.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayAuth } from "../../components/gateway-auth";
import { build, useRecorder } from "../support/mocks";

const ROOT = resolve(__dirname, "..", "..");
const EXAMPLE = join(ROOT, "examples", "typescript");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

let work: string;
let consumer: string;
let tarball: string;

const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
  spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, ...env } });

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "gateway-auth-consumer-"));
  const packed = execFileSync("npm", ["pack", "--silent", "--pack-destination", work], { cwd: ROOT, encoding: "utf8" }).trim().split("\n").pop()!;
  tarball = join(work, packed);
  // The example as it stands, two levels below the tarball (its package.json names ../../<tarball>), installed with a plain `npm install`.
  consumer = join(work, "examples", "typescript");
  cpSync(EXAMPLE, consumer, { recursive: true, filter: (src) => !/\/(node_modules|bin)$/.test(src) });
  execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: consumer, stdio: "pipe" });
});

afterAll(() => {
  if (work && !process.env.GATEWAY_AUTH_KEEP_CONSUMER) rmSync(work, { recursive: true, force: true });
});

describe("the packed tarball", () => {
  it("ships the built library and the gateway's Lua plugins, not the sources' tests, scripts or CI", () => {
    const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ""));
    expect(files).toEqual(
      expect.arrayContaining([
        "package.json",
        "README.md",
        "dist/index.js",
        "dist/index.d.ts",
        "dist/components/gateway-auth/component.d.ts",
        "dist/components/contract/names.js",
        "dist/components/gateway/lua/apisix/plugins/gateway-identity.lua",
        "dist/components/gateway/lua/apisix/plugins/gateway-key-guard.lua",
      ]),
    );
    expect(files.filter((f) => /^(test|scripts|\.ci|policies|program|examples|components)\//.test(f) || (f.endsWith(".ts") && !f.endsWith(".d.ts")))).toEqual(
      [],
    );
  });

  it("declares the Pulumi SDKs as peer dependencies, so a consumer holds exactly one copy", () => {
    for (const name of ["@pulumi/pulumi", "@pulumi/keycloak", "@pulumi/kubernetes", "@pulumi/random", "@pulumi/tls"]) {
      expect(pkg.peerDependencies[name], name).toBeDefined();
      expect(pkg.dependencies?.[name], name).toBeUndefined();
    }
    expect(existsSync(join(consumer, "node_modules", "gateway-auth", "node_modules", "@pulumi"))).toBe(false);
  });
});

describe("a consumer of the installed package", () => {
  it("require()s the package root from plain JavaScript and gets the components, with nothing run on import", () => {
    // Outside the Pulumi engine, registering a resource or reading stack
    // config would throw: a clean import proves the entry has no side effects.
    const probe = `const m = require("gateway-auth");
      console.log(JSON.stringify({ GatewayAuth: typeof m.GatewayAuth, KeycloakIdentity: typeof m.KeycloakIdentity, ApisixGateway: typeof m.ApisixGateway, parseAccessSpec: typeof m.parseAccessSpec, renderGatewayFiles: typeof m.renderGatewayFiles, renderApisixRoutes: typeof m.renderApisixRoutes }));`;
    const out = run("node", ["-e", probe], consumer);
    expect(out.stderr).toBe("");
    expect(JSON.parse(out.stdout)).toEqual({
      GatewayAuth: "function",
      KeycloakIdentity: "function",
      ApisixGateway: "function",
      parseAccessSpec: "function",
      renderGatewayFiles: "function",
      renderApisixRoutes: "undefined",
    });
  });

  it("imports named exports from an ES module too", () => {
    const out = run(
      "node",
      ["--input-type=module", "-e", `import { GatewayAuth, parseAccessSpec } from "gateway-auth"; console.log(typeof GatewayAuth, typeof parseAccessSpec);`],
      consumer,
    );
    expect(out.stderr).toBe("");
    expect(out.stdout.trim()).toBe("function function");
  });

  it("compiles with its own tsc (npm run build) and isolatedModules, without a single error", () => {
    expect(JSON.parse(readFileSync(join(consumer, "tsconfig.json"), "utf8")).compilerOptions.isolatedModules).toBe(true);
    const out = run("npm", ["run", "--silent", "build"], consumer);
    expect(out.stdout + out.stderr).toBe("");
    expect(out.status).toBe(0);
  });

  it("runs under mocks and registers the same resources as GatewayAuth built here from the same spec", async () => {
    const project = "gateway-auth-example-typescript";
    const out = run("node", [join(__dirname, "support", "run-consumer.cjs"), consumer, "bin/index.js"], consumer, {
      PULUMI_CONFIG: JSON.stringify({
        [`${project}:keycloakUrl`]: "https://auth.staging.example.com",
        [`${project}:keycloakClientSecret`]: "not-a-real-secret",
      }),
      PULUMI_CONFIG_SECRET_KEYS: JSON.stringify([`${project}:keycloakClientSecret`]),
    });
    expect(out.stderr).toBe("");
    const result = JSON.parse(out.stdout) as { resources: { type: string; name: string }[]; exports: string[] };

    const rec = await useRecorder();
    const spec = JSON.parse(readFileSync(join(EXAMPLE, "access-spec.json"), "utf8"));
    await build(rec, () => new GatewayAuth("catalog", { spec }));
    const key = (r: { type: string; name: string }) => `${r.type} ${r.name}`;
    const theirs = result.resources
      .filter((r) => !r.type.startsWith("pulumi:providers:"))
      .map(key)
      .sort();
    expect(theirs).toEqual(rec.resources.map(key).sort());
    expect(theirs.length).toBeGreaterThan(30);
    expect(result.exports).toEqual(["accessMatrix", "gatewayUrl", "importerSecret", "issuerUrl"]);
  });
});
