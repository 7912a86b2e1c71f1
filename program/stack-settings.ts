import * as pulumi from "@pulumi/pulumi";
// The program's stack config, read once here: the library (components/) takes a parsed spec and never reads config.
import { parseAccessSpec, type AccessSpec } from "../components/access-spec";
import { type RawAccessSpec, SPEC_CONFIG_KEYS } from "../components/access-spec/parse";
import { SpecReader, SpecValidationError, didYouMean } from "../components/access-spec/reader";

/** How the Keycloak provider logs in (an admin service-account client in the `master` realm by default). */
export interface KeycloakAdminSettings {
  url: string;
  realm: string;
  clientId: string;
  clientSecret: pulumi.Output<string>;
}

export interface StackSettings {
  spec: AccessSpec;
  keycloakAdmin: KeycloakAdminSettings;
  /** kubeconfig context to deploy to; the current context when unset. */
  kubernetesContext?: string;
}

/**
 * The raw spec from config values as Pulumi stores them (strings; objects as
 * JSON), looked up by key without the project namespace.
 */
export function rawSpecFromConfig(get: (key: string) => string | undefined): RawAccessSpec {
  const raw: RawAccessSpec = {};
  for (const key of SPEC_CONFIG_KEYS) {
    const text = get(key);
    if (text === undefined || key === "environment") {
      raw[key] = text;
      continue;
    }
    try {
      raw[key] = JSON.parse(text);
    } catch {
      raw[key] = text; // reported by the parser as the wrong type, with its path
    }
  }
  return raw;
}

/** Every key of the project's namespace a stack may set. */
export const STACK_CONFIG_KEYS = [...SPEC_CONFIG_KEYS, "keycloakAdmin", "keycloakAdminClientSecret", "kubernetesContext"] as const;
const ADMIN_KEYS = ["url", "realm", "clientId"] as const;

/**
 * The stack's config keys in this project's namespace that nothing reads:
 * almost always typos (`servcies`), which would otherwise render as if absent.
 */
function checkKnownKeys(r: SpecReader, config: pulumi.Config): void {
  const prefix = `${config.name}:`;
  for (const key of Object.keys(pulumi.runtime.allConfig())) {
    if (!key.startsWith(prefix)) continue;
    const name = key.slice(prefix.length);
    if (!(STACK_CONFIG_KEYS as readonly string[]).includes(name))
      r.fail(key, `unknown config key${didYouMean(name, STACK_CONFIG_KEYS)} (known: ${STACK_CONFIG_KEYS.join(", ")})`);
  }
}

function readKeycloakAdmin(r: SpecReader, config: pulumi.Config): Partial<Record<(typeof ADMIN_KEYS)[number], string>> {
  let raw: unknown;
  try {
    raw = config.getObject("keycloakAdmin");
  } catch {
    raw = config.get("keycloakAdmin"); // not JSON: reported as the wrong type below
  }
  const o = r.optionalObject("keycloakAdmin", raw, ADMIN_KEYS);
  return Object.fromEntries(ADMIN_KEYS.filter((k) => o[k] !== undefined).map((k) => [k, r.string(`keycloakAdmin.${k}`, o[k])]));
}

/** Reads the stack's config once: the access spec plus the credentials the providers need. */
export function readStackSettings(config: pulumi.Config = new pulumi.Config()): StackSettings {
  const r = new SpecReader();
  checkKnownKeys(r, config);
  const admin = readKeycloakAdmin(r, config);
  // Every problem in one pass: a misspelt key must not hide the spec's own mistakes.
  let spec: AccessSpec | undefined;
  try {
    spec = parseAccessSpec(rawSpecFromConfig((key) => config.get(key)));
  } catch (e) {
    if (!(e instanceof SpecValidationError)) throw e;
    r.problems.push(...e.problems);
  }
  r.throwIfProblems();
  if (!spec) throw new Error("unreachable: the spec failed without a problem");
  return {
    spec,
    keycloakAdmin: {
      // `pulumi up` runs outside the cluster: the in-cluster URL would not resolve there.
      url: admin.url ?? spec.keycloak.publicUrl,
      realm: admin.realm ?? "master",
      clientId: admin.clientId ?? "pulumi-admin",
      clientSecret: config.requireSecret("keycloakAdminClientSecret"),
    },
    kubernetesContext: config.get("kubernetesContext"),
  };
}
