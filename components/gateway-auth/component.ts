import * as pulumi from "@pulumi/pulumi";
import { PACKAGE, parseAccessSpec, type AccessSpecInput, type RawAccessSpec } from "../access-spec";
import type { TlsSecretRef } from "../mtls";
import { createGatewayAuth, gatewayAuthOutputs, type GatewayAuthOutputs } from "./wiring";

/**
 * Arguments of `GatewayAuth`, the one component this package offers to every
 * Pulumi language. Plain values only, so that Python, Go, .NET and YAML
 * programs can build them: the access spec is a typed, structured input, read
 * and validated by the same parser as the stack config.
 */
export interface GatewayAuthArgs {
  /**
   * The access spec: the document a stack keeps under its `gateway-auth:` config
   * keys (environment, keycloak, realm, clients, services, gateway, mtls,
   * network, apps, seedUsers). It decides which resources exist, so it must be
   * known at preview: a value computed from another resource is refused.
   * Validated at construction; a bad field fails with its path, before any
   * resource is registered. Every field is declared, with its default, in
   * `AccessSpecInput` (and so in the package schema other languages build from).
   */
  spec: AccessSpecInput;
  /**
   * Prefix of the child components' names (`<prefix>identity`, `<prefix>mtls`,
   * `<prefix>gateway`, `<prefix>network`). Default: none. Two instances in one
   * stack also need distinct `spec.gateway.name`s.
   */
  namePrefix?: string;
}

/**
 * Gateway auth for one access spec: the Keycloak realm and clients, the CA and
 * certificates for gateway-to-service mTLS, APISIX in standalone mode, and the
 * NetworkPolicies that admit the gateway only. Providers come from
 * `opts.providers` (`keycloak`, `kubernetes`); without them the ambient ones.
 */
export class GatewayAuth extends pulumi.ComponentResource {
  /** The realm's issuer, as tokens carry it in `iss`. */
  public readonly issuerUrl!: pulumi.Output<string>;
  /** The realm's OpenID discovery document. */
  public readonly discoveryUrl!: pulumi.Output<string>;
  /** The realm's signing keys (JWKS). */
  public readonly jwksUrl!: pulumi.Output<string>;
  /** The gateway's (audience) client id. */
  public readonly gatewayClientId!: pulumi.Output<string>;
  /** Client ids of the browser (PKCE) clients. */
  public readonly browserClientIds!: pulumi.Output<string[]>;
  /** Client ids of the machine (client credentials) clients. */
  public readonly serviceClientIds!: pulumi.Output<string[]>;
  /** Machine clients' secrets by client id (secret). */
  public readonly serviceClientSecrets!: pulumi.Output<{ [clientId: string]: string }>;
  /** Seed users' initial passwords by username (secret; dev stacks only have seed users). */
  public readonly seedUserPasswords!: pulumi.Output<{ [username: string]: string }>;
  /** The gateway's in-cluster URL. */
  public readonly gatewayUrl!: pulumi.Output<string>;
  /** The public URLs the gateway answers on. */
  public readonly gatewayPublicUrls!: pulumi.Output<string[]>;
  /** Checksum of the gateway's rendered configuration (changes roll the pods). */
  public readonly gatewayConfigChecksum!: pulumi.Output<string>;
  /** The CA services trust for the gateway's client certificate (PEM). */
  public readonly mtlsCaCertPem!: pulumi.Output<string>;
  /** Each service's mTLS Secret (namespace, name), by service name. */
  public readonly serviceMtlsSecrets!: pulumi.Output<{ [service: string]: TlsSecretRef }>;
  /** `namespace/name` of the NetworkPolicies that admit the gateway only. */
  public readonly networkPolicyNames!: pulumi.Output<string[]>;

  constructor(name: string, args: GatewayAuthArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate before registering anything: a bad spec leaves nothing half-applied.
    const spec = parseAccessSpec(plainSpec(args.spec));
    super(`${PACKAGE}:index:GatewayAuth`, name, {}, opts);
    // The same outputs as the program's stack outputs (gatewayAuthOutputs): one set.
    const outputs: GatewayAuthOutputs = gatewayAuthOutputs(createGatewayAuth(spec, {}, args.namePrefix ?? "", this));
    Object.assign(this, outputs);
    this.registerOutputs(outputs);
  }
}

/** The spec as a plain object: it shapes the resource graph, so an Output (unknown at preview) cannot stand in for it. */
function plainSpec(spec: unknown): RawAccessSpec {
  if (pulumi.Output.isInstance(spec)) {
    throw new Error("GatewayAuth: args.spec must be a plain value known at preview, not an output of another resource");
  }
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
    throw new Error(`GatewayAuth: args.spec must be an object (the access spec), got ${JSON.stringify(spec) ?? String(spec)}`);
  }
  return spec as RawAccessSpec;
}
