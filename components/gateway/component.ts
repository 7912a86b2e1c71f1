import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { identityEndpoints, type IdentityEndpoints } from "../identity";
import { PACKAGE, gatewayObjectNames, type AccessSpec } from "../access-spec";
import { createManifests, type Manifest } from "../kubernetes";
import { renderCertificatePlan, renderTlsSecret, type IssuedTls } from "../mtls";
import { configChecksum, renderBrowserSessionSecret, renderGatewayManifests } from "./manifests";
import { renderGatewayFiles } from "./standalone";

export interface ApisixGatewayArgs {
  /** The validated access spec. */
  spec: AccessSpec;
  /** Issuer, discovery and audience; derived from the spec when omitted. */
  endpoints?: IdentityEndpoints;
  /** app name -> client secret of the gateway's Keycloak client for that browser app (`KeycloakIdentity.appClientSecrets`). Required when the spec has apps. */
  appClientSecrets?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** The gateway's client certificate for mTLS upstreams (`ServiceMtls.gatewayTls`). Required when a service uses mTLS. */
  upstreamTls?: pulumi.Input<IssuedTls | undefined>;
}

/**
 * APISIX 3.18 in standalone mode on Kubernetes: namespace, ConfigMaps for the
 * rendered config, rules and plugin, the upstream mTLS Secret, Deployment,
 * Service, PodDisruptionBudget. Everything in its namespace waits for it.
 * Pass the Kubernetes provider through `opts.providers`.
 */
export class ApisixGateway extends pulumi.ComponentResource {
  readonly namespace: pulumi.Output<string>;
  readonly serviceName: pulumi.Output<string>;
  /** In-cluster URL of the gateway. */
  readonly url: pulumi.Output<string>;
  /** The URLs callers use: https://<host> for each of gateway.hostnames (browser apps' hosts are among them). */
  readonly publicUrls: pulumi.Output<string[]>;
  /** sha256 of the rendered files; changes roll the pods. */
  readonly configChecksum: pulumi.Output<string>;

  constructor(name: string, args: ApisixGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${PACKAGE}:index:ApisixGateway`, name, {}, opts);
    const { spec } = args;
    const files = renderGatewayFiles(spec, args.endpoints ?? identityEndpoints(spec));
    createManifests(
      this,
      name,
      [...renderGatewayManifests(spec, { files }), ...this.upstreamTlsSecret(name, spec, args), ...this.browserSessionSecret(name, spec, args)],
      { dependsOn: opts?.dependsOn },
    );

    this.namespace = pulumi.output(spec.gateway.namespace);
    const workload = gatewayObjectNames(spec.gateway.name).workload;
    this.serviceName = pulumi.output(workload);
    this.url = pulumi.output(`http://${workload}.${spec.gateway.namespace}.svc.cluster.local`);
    this.publicUrls = pulumi.output(spec.gateway.hostnames.map((h) => `https://${h}`));
    this.configChecksum = pulumi.output(configChecksum(files));
    this.registerOutputs({
      namespace: this.namespace,
      serviceName: this.serviceName,
      url: this.url,
      publicUrls: this.publicUrls,
      configChecksum: this.configChecksum,
    });
  }

  /** The gateway's client certificate where nginx reads it (kubernetes.io/tls Secret, mounted as files). */
  private upstreamTlsSecret(name: string, spec: AccessSpec, args: ApisixGatewayArgs): Manifest[] {
    const plan = renderCertificatePlan(spec).find((c) => c.role === "gateway-client");
    if (!plan) return [];
    if (!args.upstreamTls)
      throw new Error(
        `ApisixGateway ${name}: args.upstreamTls is required because services use mTLS (${spec.services
          .filter((s) => s.mtls)
          .map((s) => s.name)
          .join(", ")}); pass ServiceMtls.gatewayTls`,
      );
    const tls = pulumi.output(args.upstreamTls).apply((t) => {
      if (!t) throw new Error(`ApisixGateway ${name}: args.upstreamTls resolved to nothing, but services use mTLS`);
      return t;
    });
    return [renderTlsSecret(plan, { certPem: tls.certPem, keyPem: pulumi.secret(tls.keyPem), caPem: tls.caCertPem })];
  }

  /** Session cookie secret (generated, a Pulumi secret, one for all replicas) and app client secrets, in one Secret. */
  private browserSessionSecret(name: string, spec: AccessSpec, args: ApisixGatewayArgs) {
    if (spec.apps.length === 0) return [];
    if (!args.appClientSecrets)
      throw new Error(
        `ApisixGateway ${name}: args.appClientSecrets is required because the spec has browser apps (${spec.apps.map((a) => a.name).join(", ")})`,
      );
    const session = new random.RandomPassword(`${name}-session-secret`, { length: 48, special: false }, { parent: this });
    const given = pulumi.output(args.appClientSecrets);
    const appClientSecrets = Object.fromEntries(
      spec.apps.map((a) => [
        a.name,
        pulumi.secret(
          given.apply((all) => {
            if (!all[a.name]) throw new Error(`ApisixGateway ${name}: args.appClientSecrets has no secret for app "${a.name}"`);
            return all[a.name];
          }),
        ),
      ]),
    );
    return [renderBrowserSessionSecret(spec, { sessionSecret: pulumi.secret(session.result), appClientSecrets })];
  }
}
