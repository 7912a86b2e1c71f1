import { describe, expect, it } from "vitest";
import { deploymentWarnings, parseAccessSpec, SpecValidationError } from "../../components/access-spec";
import { appRawSpec, rawSpec } from "../fixtures/raw-spec";

/** The spec's problems about rules nobody can pass (empty when it parses). */
const unreachable = (raw: any): string[] => {
  try {
    parseAccessSpec(raw);
    return [];
  } catch (e) {
    if (!(e instanceof SpecValidationError)) throw e;
    return e.problems.map((p) => `${p.path}: ${p.message}`).filter((p) => p.includes("nobody the spec creates"));
  }
};

describe("rules nobody the spec creates can pass", () => {
  it("are refused with their path, methods and roles when no group and no service client grants any of their roles", () => {
    const raw = rawSpec();
    raw.services[0].routes.push({ path: "/api/audit/*", rules: [{ methods: ["GET"], roles: ["admin"] }] });
    const problems = unreachable(raw);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^services\[0\]\.routes\[\d+\]\.rules\[0\]\.roles: GET \/api\/audit\/\* allows only roles no group and no service client grants \(admin\): .*set realm\.roles\[2\]\.grantedOutsideSpec: true$/,
    );
  });

  it("pass with the named opt-out: a role given outside the spec (realm.roles[].grantedOutsideSpec)", () => {
    const raw = rawSpec();
    raw.services[0].routes.push({ path: "/api/audit/*", rules: [{ methods: ["GET"], roles: ["admin"] }] });
    raw.realm.roles = raw.realm.roles.map((r: any) => (r.name === "admin" ? { ...r, grantedOutsideSpec: true } : r));
    expect(unreachable(raw)).toEqual([]);
    expect(parseAccessSpec(raw).realm.roles.find((r) => r.name === "admin")?.grantedOutsideSpec).toBe(true);
    expect(deploymentWarnings(parseAccessSpec(raw)).filter((w) => w.includes("nobody"))).toEqual([]);
  });

  it("pass when one of the roles is granted, by a group or (outside apps) to a service client alone", () => {
    expect(unreachable(rawSpec())).toEqual([]);
    const byClient = rawSpec();
    byClient.realm.groups = [];
    byClient.seedUsers = [];
    byClient.services = [
      { name: "jobs", namespace: "shop", port: 80, routes: [{ path: "/jobs/*", rules: [{ methods: ["POST"], roles: ["admin", "writer"] }] }] },
    ];
    byClient.apps = [];
    expect(unreachable(byClient)).toEqual([]);
  });

  it("on an app's session routes count only groups: a service account never holds a browser session", () => {
    const raw = appRawSpec();
    raw.realm.groups = [];
    raw.seedUsers = [];
    raw.clients.service = [{ clientId: "worker", roles: ["viewer", "writer"], tenant: "acme" }];
    const appRules = parseAccessSpec(appRawSpec())
      .services.flatMap((s) => s.routes.filter((r) => r.path.startsWith("/app/")))
      .flatMap((r) => r.rules);
    expect(appRules.length).toBeGreaterThan(0);
    const problems = unreachable(raw);
    expect(problems.filter((p) => p.includes("no group grants") && p.includes("on app storefront's session routes"))).toHaveLength(appRules.length);
    expect(problems.filter((p) => !p.includes("session routes"))).toEqual([]);
  });

  it("follow a grant as it changes: removing the only group that grants a role refuses every rule that needed it, all in one pass", () => {
    const raw = rawSpec();
    raw.realm.groups = raw.realm.groups.map((g: any) => ({ ...g, roles: g.roles.filter((r: string) => r !== "viewer") }));
    const needViewerOnly = parseAccessSpec(rawSpec())
      .services.flatMap((s) => s.routes.flatMap((r) => r.rules))
      .filter((r) => r.roles.every((x) => x === "viewer" || x === "admin"));
    expect(needViewerOnly.length).toBeGreaterThan(0);
    expect(unreachable(raw)).toHaveLength(needViewerOnly.length);
  });
});
