import Ajv from "ajv";
import { describe, expect, it } from "vitest";
import { IDENTITY_PLUGIN, renderApisixConfig, renderApisixRules, type ApisixRules } from "../../components/gateway";
import { loadStackSpec } from "../../scripts/lib/stack-config";
import { PROJECT_ROOT } from "../../scripts/lib/run-stack";
import { configYamlProblems, haveApisixSchemas, isBundledPlugin, objectProblems, pluginProblems, SKIP_REASON } from "../support/apisix-schemas";
import { identityPluginSchema } from "../support/lua";
import { spec } from "../fixtures/raw-spec";

if (!haveApisixSchemas) console.warn(`SKIPPED: ${SKIP_REASON}`);

const stackSpec = (stack: string) => loadStackSpec(PROJECT_ROOT, stack);

const cases: Array<[string, ApisixRules]> = [
  ["test fixture", renderApisixRules(spec())],
  ["dev stack", renderApisixRules(stackSpec("dev"))],
  ["prod stack", renderApisixRules(stackSpec("prod"))],
];

describe.skipIf(!haveApisixSchemas)("conformance with APISIX 3.18's own schemas", () => {
  it("the validator is live: it refuses a broken route and a broken plugin config", () => {
    expect(objectProblems("route", { id: "bad id!", uri: "/x", upstream_id: "u" })).not.toBe("");
    expect(pluginProblems("openid-connect", { bearer_only: true })).toMatch(/client_id|discovery/);
    expect(pluginProblems("acl", { rejected_code: 403 })).not.toBe("");
  });

  describe.each(cases)("%s", (_label, rules) => {
    it("every route validates", () => {
      for (const r of rules.routes) expect(objectProblems("route", r), r.id).toBe("");
    });

    it("every upstream validates", () => {
      for (const u of rules.upstreams) expect(objectProblems("upstream", u), u.id).toBe("");
    });

    it("every global rule validates", () => {
      for (const g of rules.global_rules) expect(objectProblems("global_rule", g), g.id).toBe("");
    });

    it("every bundled plugin configuration validates against that plugin's schema", () => {
      const confs = [...rules.routes, ...rules.global_rules].flatMap((r) => Object.entries(r.plugins ?? {}));
      const bundled = confs.filter(([name]) => name !== IDENTITY_PLUGIN);
      expect(bundled.length).toBeGreaterThan(0);
      for (const [name, conf] of bundled) {
        expect(isBundledPlugin(name), name).toBe(true);
        expect(pluginProblems(name, conf), name).toBe("");
      }
    });

    it("ssl entries validate", () => {
      for (const ssl of rules.ssls ?? []) expect(objectProblems("ssl", ssl)).toBe("");
    });

    it("config.yaml validates against apisix init's schemas", () => {
      expect(configYamlProblems(renderApisixConfig(rules))).toBe("");
    });
  });
});

describe("the identity plugin's configuration validates against the plugin's own schema (read from the Lua module)", () => {
  const validate = new Ajv({ strict: false, allErrors: true }).compile(identityPluginSchema());

  it.each(cases)("%s", (_label, rules) => {
    const confs = rules.routes.map((r) => r.plugins?.[IDENTITY_PLUGIN]).filter(Boolean);
    expect(confs.length).toBeGreaterThan(0);
    for (const conf of confs) expect(validate(conf), JSON.stringify(validate.errors)).toBe(true);
  });

  it("and that schema refuses an unknown field", () => {
    expect(validate({ known_roles: ["a"], trust_client_headers: true })).toBe(false);
  });
});
