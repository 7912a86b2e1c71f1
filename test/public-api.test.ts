/**
 * The package's public API (components/index.ts, the package root): the
 * runtime names a consumer can import. Changing this list is a deliberate,
 * reviewed change to the API (a release note; a major version when a name
 * goes); internals stay importable only from their own folders.
 */
import { describe, expect, it } from "vitest";
import * as api from "../index";

const PUBLIC_API = [
  // The access spec
  "SpecValidationError",
  "deploymentWarnings",
  "parseAccessSpec",
  // The components
  "ApisixGateway",
  "GatewayAuth",
  "GatewayNetworkPolicies",
  "KeycloakIdentity",
  "MtlsCertificates",
  "ServiceMtls",
  // The spec mapped onto the components that take intent-level args
  "mtlsArgsOf",
  "networkPoliciesArgsOf",
  // The renderers
  "identityEndpoints",
  "renderAccessMatrix",
  "renderAccessMatrixMarkdown",
  "renderCertificatePlan",
  "renderGatewayFiles",
  "renderNetworkPolicies",
  "renderPkiSummary",
].sort();

describe("the public API", () => {
  it("is exactly the listed names (a change here is a change to the API)", () => {
    expect(Object.keys(api).sort()).toEqual(PUBLIC_API);
  });

  it("gives each component the Pulumi shape: a class constructed with (name, args, opts)", () => {
    for (const name of ["ApisixGateway", "GatewayAuth", "GatewayNetworkPolicies", "KeycloakIdentity", "MtlsCertificates", "ServiceMtls"] as const) {
      const component = api[name] as unknown as { length: number; prototype: object };
      expect(typeof component, name).toBe("function");
      expect(component.length, `${name}(name, args, opts?)`).toBeGreaterThanOrEqual(2);
    }
  });
});
