import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { identityEndpoints, type IdentityEndpoints } from "../identity";
import { PACKAGE, type AccessSpec } from "../spec";
import { createManifests } from "../kubernetes";
import { GATEWAY_NAME, configChecksum, renderBrowserSessionSecret, renderGatewayManifests } from "./manifests";
import { renderGatewayFiles } from "./standalone";

export interface ApisixGatewayArgs {
  /** The validated access spec. */
  spec: AccessSpec;
  /** Issuer, discovery and audience; derived from the spec when omitted. */
  endpoints?: IdentityEndpoints;
  /** app name -> client secret of the gateway's Keycloak client for that browser app (`KeycloakIdentity.appClientSecrets`). Required when the spec has apps. */
  appClientSecrets?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * APISIX 3.18 in standalone mode on Kubernetes: namespace, ConfigMaps for the
 * rendered config, rules and plugin, Deployment, Service, PodDisruptionBudget.
 * Pass the Kubernetes provider through `opts.providers`.
 */
export class ApisixGateway extends pulumi.ComponentResource {
  readonly namespace: pulumi.Output<string>;
  readonly serviceName: pulumi.Output<string>;
  /** In-cluster URL of the gateway. */
  readonly url: pulumi.Output<string>;
  /** sha256 of the rendered files; changes roll the pods. */
  readonly configChecksum: pulumi.Output<string>;

  constructor(name: string, args: ApisixGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${PACKAGE}:index:ApisixGateway`, name, {}, opts);
    const { spec } = args;
    const files = renderGatewayFiles(spec, args.endpoints ?? identityEndpoints(spec));
    createManifests(this, name, [...renderGatewayManifests(spec, { files }), ...this.browserSessionSecret(name, spec, args)]);

    this.namespace = pulumi.output(spec.gateway.namespace);
    this.serviceName = pulumi.output(GATEWAY_NAME);
    this.url = pulumi.output(`http://${GATEWAY_NAME}.${spec.gateway.namespace}.svc.cluster.local`);
    this.configChecksum = pulumi.output(configChecksum(files));
    this.registerOutputs({ namespace: this.namespace, serviceName: this.serviceName, url: this.url, configChecksum: this.configChecksum });
  }

  /** Session cookie secret (generated, a Pulumi secret, one for all replicas) and app client secrets, in one Secret. */
  private browserSessionSecret(name: string, spec: AccessSpec, args: ApisixGatewayArgs) {
    if (spec.apps.length === 0) return [];
    if (!args.appClientSecrets) throw new Error(`ApisixGateway ${name}: args.appClientSecrets is required because the spec has browser apps (${spec.apps.map((a) => a.name).join(", ")})`);
    const session = new random.RandomPassword(`${name}-session-secret`, { length: 48, special: false }, { parent: this });
    const given = pulumi.output(args.appClientSecrets);
    const appClientSecrets = Object.fromEntries(spec.apps.map((a) => [a.name, pulumi.secret(given.apply((all) => {
      if (!all[a.name]) throw new Error(`ApisixGateway ${name}: args.appClientSecrets has no secret for app "${a.name}"`);
      return all[a.name];
    }))]));
    return [renderBrowserSessionSecret(spec, { sessionSecret: pulumi.secret(session.result), appClientSecrets })];
  }
}
