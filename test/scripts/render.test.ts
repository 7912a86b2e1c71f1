import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../scripts/lib/run-stack";

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** Runs `npm run render` the way a user does, into a scratch folder (removed after the file's tests). */
function render(stack: string): { out: string; log: string } {
  const out = mkdtempSync(join(tmpdir(), `render-${stack}-`));
  scratch.push(out);
  const res = spawnSync(join(PROJECT_ROOT, "node_modules", ".bin", "tsx"), ["scripts/render.ts", "--stack", stack, "--out", out], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
  });
  if (res.status !== 0) throw new Error(`render ${stack} failed: ${res.stderr}`);
  return { out, log: `${res.stdout}${res.stderr}` };
}

const read = (out: string, rel: string) => readFileSync(join(out, rel), "utf8");

describe.each(["dev", "prod"])("render --stack %s", (stack) => {
  let out: string;
  let log: string;
  let resources: Array<{ type: string; name: string; parent: string | null; dependsOn: string[]; inputs: unknown }>;
  beforeAll(() => {
    ({ out, log } = render(stack));
    resources = JSON.parse(read(out, "resources.json"));
  });

  it("writes every resource as {type, name, parent, dependsOn, inputs}", () => {
    expect(log).toMatch(new RegExp(`render ${stack}: \\d+ resources`));
    expect(resources.length).toBeGreaterThan(20);
    for (const r of resources) expect(Object.keys(r)).toEqual(["type", "name", "parent", "dependsOn", "inputs"]);
    expect(resources.find((r) => r.type === "keycloak:index/realm:Realm")?.parent).toBe("identity");
  });

  it("warns about Keycloak's back-channel setting exactly when the stack does not declare it", () => {
    const declared = stack === "prod";
    expect(log.includes("WARNING: keycloak.hostnameBackchannelDynamic is not set")).toBe(!declared);
  });

  it("replaces every secret value with [secret]", () => {
    const text = read(out, "resources.json");
    expect(text).toContain('"clientSecret": "[secret]"');
    expect(text).not.toMatch(/mock-password|mock-client-secret|4dabf18193072939515e22adb298388d/);
  });

  it("writes the APISIX standalone files and the access matrix", () => {
    expect(read(out, "apisix/apisix.yaml").endsWith("#END\n")).toBe(true);
    expect(read(out, "apisix/config.yaml")).toContain("config_provider: yaml");
    // The plugins are the repository's own, the same for every stack: referenced, never copied.
    expect(readdirSync(join(out, "apisix"))).toEqual(["apisix.yaml", "config.yaml"]);
    expect(read(out, "resources.json")).toMatch(
      /"gateway-identity\.lua": "\[file components\/gateway\/lua\/apisix\/plugins\/gateway-identity\.lua, sha256 [0-9a-f]{12}\]"/,
    );
    expect(read(out, "access-matrix.md")).toMatch(/^# Access matrix \((dev|prod)\)/);
  });

  it("writes the PKI summary and every NetworkPolicy, and no key material anywhere", () => {
    expect(read(out, "pki.md")).toContain("| service-server | orders.shop.svc.cluster.local |");
    expect(read(out, "network-policies.yaml").match(/kind: NetworkPolicy/g)?.length).toBeGreaterThanOrEqual(5);
    for (const file of readdirSync(out, { recursive: true, withFileTypes: true }).filter((f) => f.isFile())) {
      expect(readFileSync(join(file.parentPath, file.name), "utf8"), file.name).not.toMatch(/mock-private-key|mock-client-secret|mock-password|PRIVATE KEY/);
    }
  });

  it("is deterministic", () => {
    expect(read(render(stack).out, "resources.json")).toBe(read(out, "resources.json"));
  });

  it("keeps resources.json reviewable: whole files are references to what render wrote beside it, no line is a file", () => {
    const text = read(out, "resources.json");
    expect(text).toMatch(/"apisix\.yaml": "\[file apisix\/apisix\.yaml, sha256 [0-9a-f]{12}\]"/);
    expect(Math.max(...text.split("\n").map((l) => l.length))).toBeLessThan(1000);
  });

  it("matches the committed out/" + stack + " (pull requests show how the desired state changes; npm run render:stacks updates it)", () => {
    const committed = join(PROJECT_ROOT, "out", stack);
    const list = (dir: string) =>
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((f) => f.isFile())
        .map((f) => join(f.parentPath, f.name).slice(dir.length + 1))
        .sort();
    expect(list(committed), `files of out/${stack}`).toEqual(list(out));
    for (const file of list(out))
      expect(read(committed, file), `out/${stack}/${file} is not what the code renders: run npm run render:stacks and commit it`).toBe(read(out, file));
  });
});

describe("render refuses bad input", () => {
  it("names a missing stack file", () => {
    expect(() => render("nosuchstack")).toThrow(/Pulumi\.nosuchstack\.yaml/);
  });
});

describe("render --check (the committed snapshot against what the code renders)", () => {
  const run = (...args: string[]) =>
    spawnSync(join(PROJECT_ROOT, "node_modules", ".bin", "tsx"), ["scripts/render.ts", ...args], { cwd: PROJECT_ROOT, encoding: "utf8" });
  const check = (out?: string) => run(...(out ? ["--stack", "dev", "--out", out] : []), "--check");

  it("passes on every committed snapshot (out/dev, out/prod: one per Pulumi.<stack>.yaml), and writes nothing", () => {
    const before = readFileSync(join(PROJECT_ROOT, "out", "dev", "resources.json"), "utf8");
    const res = check();
    expect(res.stdout).toContain("render --check dev: ");
    expect(res.stdout).toContain("render --check prod: ");
    expect(res.stdout).not.toContain("differs");
    expect(res.status).toBe(0);
    expect(readFileSync(join(PROJECT_ROOT, "out", "dev", "resources.json"), "utf8")).toBe(before);
  });

  it("refuses flags it does not know, and --check with --update, before rendering anything", () => {
    for (const args of [["--chek"], ["--check", "--update"], ["--out", "/tmp/x"]]) {
      const res = run(...args);
      expect(res.status, args.join(" ")).toBe(1);
      expect(res.stderr).toContain("usage: npm run render --");
    }
  });

  it("fails with a readable diff naming the changed line when the snapshot differs", () => {
    const copy = mkdtempSync(join(tmpdir(), "render-check-copy-"));
    scratch.push(copy);
    cpSync(join(PROJECT_ROOT, "out", "dev"), copy, { recursive: true });
    const matrix = join(copy, "access-matrix.md");
    writeFileSync(matrix, readFileSync(matrix, "utf8").replace("| orders |", "| orders-edited |"));
    const res = check(copy);
    expect(res.status).toBe(1);
    expect(res.stdout).toMatch(/^-\| orders-edited \|/m);
    expect(res.stdout).toMatch(/^\+\| orders \|/m);
    expect(res.stdout).toContain("differs from what the code renders");
  });
});
