/** Reading a stack's config: every key of the project's namespace is known, or the stack is refused with its path. */
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { beforeEach, describe, expect, it } from "vitest";
import { SpecValidationError } from "../../components/access-spec";
import { readStackSettings, STACK_CONFIG_KEYS } from "../../program/stack-settings";
import { loadStackConfig } from "../../scripts/lib/stack-config";
import { PROJECT_ROOT } from "../../scripts/lib/run-stack";

const dev = loadStackConfig(PROJECT_ROOT, "dev");
const read = (extra: Record<string, string> = {}, drop: string[] = []) => {
  const config = { ...dev.config, ...extra };
  for (const k of drop) delete config[k];
  pulumi.runtime.setAllConfig(config, dev.secretKeys);
  return readStackSettings(new pulumi.Config("gateway-auth"));
};
const problemsOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof SpecValidationError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  throw new Error("expected a SpecValidationError");
};

beforeEach(() => pulumi.runtime.setAllConfig({}));

describe("stack config", () => {
  it("the example stack reads", () => {
    expect(read().spec.environment).toBe("dev");
  });

  it("refuses a key of the project it does not know (a typo would be silently ignored)", () => {
    const problems = problemsOf(() => read({ "gateway-auth:servcies": "[]" }));
    expect(problems).toEqual([
      expect.stringMatching(
        /^gateway-auth:servcies: unknown config key \(did you mean "services"\?\) \(known: environment, keycloak, .*keycloakAdmin, keycloakAdminClientSecret, kubernetesContext\)$/,
      ),
    ]);
  });

  it("reports a misspelt key, a bad admin field and the spec's own mistakes together, in one pass", () => {
    const gateway = JSON.parse(dev.config["gateway-auth:gateway"] ?? "{}");
    const problems = problemsOf(() =>
      read({
        "gateway-auth:gatway": "{}",
        "gateway-auth:keycloakAdmin": JSON.stringify({ clientID: "x" }),
        "gateway-auth:gateway": JSON.stringify({ ...gateway, replicas: 0, jwksCacheSecond: 60 }),
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^gateway-auth:gatway: unknown config key \(did you mean "gateway"\?\)/),
        expect.stringMatching(/^keycloakAdmin\.clientID: unknown field \(did you mean "clientId"\?\)/),
        expect.stringMatching(/^gateway\.replicas: /),
        expect.stringMatching(/^gateway\.jwksCacheSecond: unknown field \(did you mean "jwksCacheSeconds"\?\)/),
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it("leaves other namespaces (providers' own config) alone", () => {
    expect(read({ "kubernetes:context": "kind-dev", "keycloak:url": "https://x" }).spec.environment).toBe("dev");
  });

  it("refuses unknown keycloakAdmin fields, with their path", () => {
    expect(problemsOf(() => read({ "gateway-auth:keycloakAdmin": JSON.stringify({ clientID: "x" }) }))).toContain(
      'keycloakAdmin.clientID: unknown field (did you mean "clientId"?) (known: url, realm, clientId)',
    );
  });

  it("reaches Keycloak's admin API at its public URL unless told otherwise (the in-cluster name does not resolve where pulumi runs)", () => {
    const settings = read({}, ["gateway-auth:keycloakAdmin"]);
    expect(settings.keycloakAdmin.url).toBe(settings.spec.keycloak.publicUrl);
    expect(settings.keycloakAdmin.url).not.toBe(settings.spec.keycloak.internalUrl);
  });
});

describe("Pulumi.yaml's config declarations", () => {
  const project = parse(readFileSync(`${PROJECT_ROOT}/Pulumi.yaml`, "utf8"));
  const declared = Object.entries(project.config ?? {}) as Array<[string, { type: string; secret?: boolean; default?: unknown }]>;

  it("declare only keys the program reads, with types Pulumi's project schema allows", () => {
    expect(declared.length).toBeGreaterThan(0);
    for (const [key, d] of declared) {
      expect(STACK_CONFIG_KEYS, key).toContain(key);
      expect(["string", "integer", "boolean", "array"], key).toContain(d.type);
    }
  });

  it("every required declaration is set by each example stack, secrets as secrets", () => {
    for (const stack of ["dev", "prod"]) {
      const c = loadStackConfig(PROJECT_ROOT, stack);
      for (const [key, d] of declared.filter(([, x]) => x.default === undefined)) {
        expect(c.config[`gateway-auth:${key}`], `${stack}: ${key}`).toBeDefined();
        if (d.secret) expect(c.secretKeys, `${stack}: ${key}`).toContain(`gateway-auth:${key}`);
      }
    }
  });
});
