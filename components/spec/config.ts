import * as pulumi from "@pulumi/pulumi";
import { parseAccessSpec } from "./load";
import { RawAccessSpec, SPEC_CONFIG_KEYS } from "./parse";
import type { AccessSpec } from "./types";

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

/** Reads the stack's config once: the access spec plus the credentials the providers need. */
export function readStackSettings(config: pulumi.Config = new pulumi.Config()): StackSettings {
  const spec = parseAccessSpec(rawSpecFromConfig((key) => config.get(key)));
  const admin = config.getObject<Record<string, string>>("keycloakAdmin") ?? {};
  return {
    spec,
    keycloakAdmin: {
      // The admin API is reached in-cluster unless a stack says otherwise.
      url: admin.url ?? spec.keycloak.internalUrl,
      realm: admin.realm ?? "master",
      clientId: admin.clientId ?? "pulumi-admin",
      clientSecret: config.requireSecret("keycloakAdminClientSecret"),
    },
    kubernetesContext: config.get("kubernetesContext"),
  };
}
