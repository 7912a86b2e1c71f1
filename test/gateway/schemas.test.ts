import Ajv from "ajv";
import { describe, expect, it } from "vitest";
import { IDENTITY_PLUGIN, PROJECT_PLUGINS, renderApisixConfig, renderApisixRules, type ApisixRules } from "../../components/gateway";
import type { AccessSpec } from "../../components/access-spec";
import { loadStackSpec } from "../../scripts/lib/stack-config";
import { TEST_CA_PEM } from "../fixtures/pem";
import { PROJECT_ROOT } from "../../scripts/lib/run-stack";
import { configYamlProblems, isBundledPlugin, objectProblems, pluginProblems } from "../support/apisix-schemas";
import { projectPluginSchema } from "../support/lua";
import { appSpec, spec } from "../fixtures/raw-spec";

const stackSpec = (stack: string) => loadStackSpec(PROJECT_ROOT, stack);

const withClientCertHost = spec(
  (r) => (r.gateway.clientCertificateHosts = [{ host: "api.example.com", caCertificate: TEST_CA_PEM, serverCertificateSecret: "api-tls" }]),
);
const specs: Array<[string, AccessSpec]> = [
  ["test fixture", spec()],
  ["test fixture with a client-certificate host", withClientCertHost],
  ["test fixture with a browser app", appSpec()],
  ["dev stack", stackSpec("dev")],
  ["prod stack", stackSpec("prod")],
];
const cases: Array<[string, ApisixRules, AccessSpec]> = specs.map(([label, s]) => [label, renderApisixRules(s), s]);

/**
 * APISIX skips schema checks for `$env://` references and resolves them at
 * run time; here they stand in for the PEM the Secret holds.
 */
function resolveEnvRefs<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replace(/"\$env:\/\/[A-Z0-9_]+"/g, JSON.stringify(TEST_CA_PEM)));
}

describe("conformance with APISIX 3.18's own schemas", () => {
  it("the validator is live: it refuses a broken route and a broken plugin config", () => {
    expect(objectProblems("route", { id: "bad id!", uri: "/x", upstream_id: "u" })).not.toBe("");
    expect(pluginProblems("openid-connect", { bearer_only: true })).toMatch(/client_id|discovery/);
    expect(pluginProblems("mocking", { response_status: "two hundred" })).not.toBe("");
  });

  describe.each(cases)("%s", (_label, rules, s) => {
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
      const bundled = confs.filter(([name]) => !(PROJECT_PLUGINS as readonly string[]).includes(name));
      expect(bundled.length).toBeGreaterThan(0);
      for (const [name, conf] of bundled) {
        expect(isBundledPlugin(name), name).toBe(true);
        expect(pluginProblems(name, conf), name).toBe("");
      }
    });

    it("ssl entries validate (with $env:// references standing in for their PEM)", () => {
      for (const ssl of rules.ssls ?? []) expect(objectProblems("ssl", resolveEnvRefs(ssl))).toBe("");
    });

    it("config.yaml validates against apisix init's schemas", () => {
      expect(configYamlProblems(renderApisixConfig(s, rules))).toBe("");
    });
  });
});

describe("the project's plugins' configurations validate against each plugin's own schema (read from the Lua module)", () => {
  const validators = Object.fromEntries(PROJECT_PLUGINS.map((name) => [name, new Ajv({ strict: false, allErrors: true }).compile(projectPluginSchema(name))]));
  const validate = validators[IDENTITY_PLUGIN];

  it.each(cases)("%s", (_label, rules) => {
    for (const name of PROJECT_PLUGINS) {
      const confs = [...rules.routes, ...rules.global_rules].map((r) => r.plugins?.[name]).filter(Boolean);
      expect(confs.length, name).toBeGreaterThan(0);
      for (const conf of confs) expect(validators[name](conf), `${name}: ${JSON.stringify(validators[name].errors)}`).toBe(true);
    }
  });

  it("and that schema refuses an unknown field", () => {
    expect(validate({ known_roles: ["a"], trust_client_headers: true })).toBe(false);
  });
});
