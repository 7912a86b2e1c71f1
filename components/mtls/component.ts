import * as pulumi from "@pulumi/pulumi";
import { createManifests } from "../kubernetes";
import { PACKAGE } from "../access-spec";
import { checkMtlsArgs, type ServiceMtlsArgs } from "./args";
import { MtlsCertificates } from "./certificates";
import type { CertificatePlan } from "./plan";
import { renderTlsSecret } from "./secrets";

export type { ServiceMtlsArgs } from "./args";

export interface TlsSecretRef {
  namespace: string;
  name: string;
}

/** A certificate with its key (a Pulumi secret) and the CA that issued it. */
export interface IssuedTls {
  certPem: string;
  keyPem: string;
  caCertPem: string;
}

/**
 * Gateway <-> service mTLS on Kubernetes: the certificates of
 * `MtlsCertificates`; each mTLS service's in a kubernetes.io/tls Secret
 * (tls.crt, tls.key, ca.crt) in its namespace, and the gateway's as the
 * `gatewayTls` output, which `ApisixGateway` stores in its own namespace (so
 * that Secret is created after the namespace, by the component that owns
 * both). Private keys are Pulumi secrets. Pass the Kubernetes provider
 * through `opts.providers`.
 */
export class ServiceMtls extends pulumi.ComponentResource {
  /** The CA certificate (public). */
  readonly caCertPem: pulumi.Output<string>;
  /** The gateway's client certificate, key (secret) and the CA, for `ApisixGateway`'s `upstreamTls`; undefined without mTLS services. */
  readonly gatewayTls: pulumi.Output<IssuedTls | undefined>;
  /** Per service name, the Secret its pods mount to serve mTLS. */
  readonly serviceSecrets: pulumi.Output<Record<string, TlsSecretRef>>;

  constructor(name: string, args: ServiceMtlsArgs, opts?: pulumi.ComponentResourceOptions) {
    const checked = checkMtlsArgs(args, `ServiceMtls ${name}: args`);
    super(`${PACKAGE}:index:ServiceMtls`, name, {}, opts);
    const certs = new MtlsCertificates(`${name}-certs`, checked, { parent: this });
    const stored = certs.plan.filter((c) => c.secret && c.role === "service-server");
    createManifests(
      this,
      name,
      stored.map((c) => renderTlsSecret(c, { ...certs.issued[c.id], caPem: certs.caCertPem })),
      { dependsOn: opts?.dependsOn },
    );

    const ref = (c: CertificatePlan): TlsSecretRef => ({ namespace: c.secret!.namespace, name: c.secret!.name });
    const gateway = certs.issued["gateway"];
    this.caCertPem = certs.caCertPem;
    this.gatewayTls = gateway
      ? pulumi.secret(
          pulumi
            .all([gateway.certPem, gateway.keyPem, certs.caCertPem])
            .apply(([certPem, keyPem, caCertPem]): IssuedTls | undefined => ({ certPem, keyPem, caCertPem })),
        )
      : pulumi.output<IssuedTls | undefined>(undefined);
    this.serviceSecrets = pulumi.output(Object.fromEntries(stored.map((c) => [c.service!, ref(c)])));
    this.registerOutputs({ caCertPem: this.caCertPem, gatewayTls: this.gatewayTls, serviceSecrets: this.serviceSecrets });
  }
}
