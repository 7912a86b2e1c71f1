import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REFUSALS, renderAccessMatrix, renderAccessMatrixMarkdown } from "../../components/gateway";
import { appSpec, spec } from "../fixtures/raw-spec";

const s = spec();
const matrix = renderAccessMatrix(s);
const find = (path: string, method: string, who: string) =>
  matrix.find((e) => e.path === path && e.method === method && (e.caller.kind === "role" ? e.caller.role : e.caller.kind) === who)!.outcome;

describe("access matrix", () => {
  it("covers every route x method x caller (anonymous, no role, each role)", () => {
    // 2 routes x 6 methods (OPTIONS is preflight here) x (anonymous + no-role + 3 roles)
    expect(matrix).toHaveLength(2 * 6 * 5);
  });

  it("anonymous callers get 401 on protected routes", () => {
    expect(find("/api/orders/*", "GET", "anonymous")).toEqual({ allow: false, status: 401, reason: "missing_token" });
  });

  it("a role the rule lists is allowed, another role gets 403", () => {
    expect(find("/api/orders/*", "GET", "viewer")).toEqual({ allow: true });
    expect(find("/api/orders/*", "GET", "writer")).toEqual({ allow: false, status: 403, reason: "role_missing" });
    expect(find("/api/orders/*", "GET", "no-role")).toEqual({ allow: false, status: 403, reason: "role_missing" });
  });

  it("a method no rule lists is 405 for everyone", () => {
    for (const who of ["anonymous", "no-role", "viewer", "writer", "admin"])
      expect(find("/api/orders/*", "PUT", who)).toEqual({ allow: false, status: 405, reason: "method_not_allowed" });
  });

  it("public routes allow their methods to everyone, and only those", () => {
    expect(find("/api/orders-health", "GET", "anonymous")).toEqual({ allow: true });
    expect(find("/api/orders-health", "POST", "admin")).toEqual({ allow: false, status: 405, reason: "method_not_allowed" });
  });

  it("renders as a Markdown table with one column per caller", () => {
    const md = renderAccessMatrixMarkdown(s);
    expect(md).toContain("| service | path | method | (anonymous) | (no role) | viewer | writer | admin |");
    expect(md).toContain("| orders | `/api/orders/*` | GET | 401 missing_token | 403 role_missing | allow | 403 role_missing | allow |");
  });
});

describe("the matrix document's rows", () => {
  it("name every route and method exactly once, methods every caller gets alike sharing a row", () => {
    const spec = appSpec();
    const md = renderAccessMatrixMarkdown(spec);
    const rows = [...md.matchAll(/^\| ([a-z0-9-]+) \| `([^`]+)` \| ([A-Z, ]+) \| (.*) \|$/gm)].map((m) => ({
      path: m[2],
      methods: m[3].split(", "),
      cells: m[4],
    }));
    const named = rows.flatMap((r) => r.methods.map((m) => `${r.path} ${m}`));
    const expected = [...new Set(renderAccessMatrix(spec).map((e) => `${e.path} ${e.method}`))];
    expect(named.sort()).toEqual(expected.sort());
    // Two rows of one route never read alike (else they would be one), and a merged row is what each of its methods gets.
    for (const r of rows) expect(rows.filter((o) => o.path === r.path && o.cells === r.cells)).toHaveLength(1);
    const refusedForAll = rows.filter((r) => r.cells.split(" | ").every((c) => c === "405 method_not_allowed"));
    expect(refusedForAll.length).toBeGreaterThan(0);
    expect(refusedForAll.length).toBeLessThan(new Set(rows.map((r) => r.path)).size + 1);
  });
});

describe("the matrix document's refusals", () => {
  it("states the status of every refusal reason the gateway answers", () => {
    const md = renderAccessMatrixMarkdown(spec());
    for (const r of REFUSALS) expect(md).toContain(`| ${r.reason} | ${r.status} | ${r.says} |`);
    expect(md).toContain("| invalid_token | 401 |");
    expect(md).toContain("| cross_site_request | 403 |");
  });
});

describe("the documented decision-log reasons (docs/request-pipeline.md)", () => {
  it("list every refusal reason the matrix document names, and every reason the decision plugin can write", () => {
    const readme = readFileSync(join(__dirname, "..", "..", "docs", "request-pipeline.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Decision log"), readme.indexOf("\n## ", readme.indexOf("## Decision log") + 1));
    const documented = [...section.matchAll(/^\| ([a-z_]+) \| (allow|deny) \|/gm)].map((m) => m[1]);
    const lua = readFileSync(join(__dirname, "..", "..", "components", "gateway", "lua", "apisix", "plugins", "gateway-decisions.lua"), "utf8");
    const written = [...lua.matchAll(/(?:return|and|or) "([a-z_]+)"/g)].map((m) => m[1]).filter((r) => r !== "allow" && r !== "deny");
    expect(written).toContain("gateway_error");
    for (const reason of [...REFUSALS.map((r) => r.reason), ...written]) expect(documented, reason).toContain(reason);
  });
});
