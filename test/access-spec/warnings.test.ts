import { describe, expect, it } from "vitest";
import { deploymentWarnings, parseAccessSpec } from "../../components/access-spec";
import { rawSpec } from "../fixtures/raw-spec";

const ungranted = (raw: any) => deploymentWarnings(parseAccessSpec(raw)).filter((w) => w.includes("nobody the spec creates"));

describe("rules nobody the spec creates can pass", () => {
  it("are named with their path, methods and roles when no group and no service client grants any of their roles", () => {
    const raw = rawSpec();
    raw.services[0].routes.push({ path: "/api/audit/*", rules: [{ methods: ["GET"], roles: ["admin"] }] });
    const warnings = ungranted(raw);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^services\[0\]\.routes\[\d+\]\.rules\[0\] \(GET \/api\/audit\/\*\) allows only roles no group and no service client grants \(admin\)/,
    );
  });

  it("say nothing when one of the roles is granted, by a group or to a service client alone", () => {
    expect(ungranted(rawSpec())).toEqual([]);
    const byClient = rawSpec();
    byClient.realm.groups = [];
    byClient.services = [
      { name: "jobs", namespace: "shop", port: 80, routes: [{ path: "/jobs/*", rules: [{ methods: ["POST"], roles: ["admin", "writer"] }] }] },
    ];
    byClient.apps = [];
    expect(ungranted(byClient)).toEqual([]);
  });

  it("follow a grant as it changes: removing the only group that grants a role warns for every rule that needed it", () => {
    const raw = rawSpec();
    raw.realm.groups = raw.realm.groups.map((g: any) => ({ ...g, roles: g.roles.filter((r: string) => r !== "viewer") }));
    const needViewerOnly = parseAccessSpec(raw)
      .services.flatMap((s) => s.routes.flatMap((r) => r.rules))
      .filter((r) => r.roles.every((x) => x === "viewer" || x === "admin"));
    expect(needViewerOnly.length).toBeGreaterThan(0);
    expect(ungranted(raw)).toHaveLength(needViewerOnly.length);
  });
});
