import * as pulumi from "@pulumi/pulumi";
import { createManifests } from "../kubernetes";
import { PACKAGE, type AccessSpec } from "../spec";
import { MtlsCertificates } from "./certificates";
import type { CertificatePlan } from "./plan";
import { renderTlsSecret } from "./secrets";

export interface ServiceMtlsArgs {
  /** The validated access spec. */
  spec: AccessSpec;
}

export interface TlsSecretRef {
  namespace: string;
  name: string;
}

/**
 * Gateway <-> service mTLS on Kubernetes: the certificates of
 * `MtlsCertificates`, each in a kubernetes.io/tls Secret (tls.crt, tls.key,
 * ca.crt) in its namespace: the gateway's, and each mTLS service's. Private
 * keys are Pulumi secrets. Pass the Kubernetes provider through
 * `opts.providers`.
 */
export class ServiceMtls extends pulumi.ComponentResource {
  /** The CA certificate (public). */
  readonly caCertPem: pulumi.Output<string>;
  /** The Secret the gateway reads its client certificate from. */
  readonly gatewaySecret: pulumi.Output<TlsSecretRef | undefined>;
  /** Per service name, the Secret its pods mount to serve mTLS. */
  readonly serviceSecrets: pulumi.Output<Record<string, TlsSecretRef>>;

  constructor(name: string, args: ServiceMtlsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${PACKAGE}:index:ServiceMtls`, name, {}, opts);
    const certs = new MtlsCertificates(`${name}-certs`, { spec: args.spec }, { parent: this });
    const stored = certs.plan.filter((c) => c.secret);
    createManifests(this, name, stored.map((c) => renderTlsSecret(c, { ...certs.issued[c.id], caPem: certs.caCertPem })));

    const ref = (c: CertificatePlan): TlsSecretRef => ({ namespace: c.secret!.namespace, name: c.secret!.name });
    const gateway = stored.find((c) => c.role === "gateway-client");
    this.caCertPem = certs.caCertPem;
    this.gatewaySecret = pulumi.output(gateway ? ref(gateway) : undefined);
    this.serviceSecrets = pulumi.output(Object.fromEntries(stored.filter((c) => c.service).map((c) => [c.service!, ref(c)])));
    this.registerOutputs({ caCertPem: this.caCertPem, gatewaySecret: this.gatewaySecret, serviceSecrets: this.serviceSecrets });
  }
}
