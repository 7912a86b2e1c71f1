import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { createManifests } from "../kubernetes";
import { PACKAGE, type AccessSpec } from "../spec";
import { renderCertificatePlan, type CertificatePlan } from "./plan";
import { renderTlsSecret } from "./secrets";

export interface ServiceMtlsArgs {
  /** The validated access spec. */
  spec: AccessSpec;
}

export interface TlsSecretRef {
  namespace: string;
  name: string;
}

const KEY = { algorithm: "ECDSA", ecdsaCurve: "P256" } as const;

/**
 * The PKI for gateway <-> service mTLS, declaratively with @pulumi/tls: a CA,
 * the gateway's client certificate, a server certificate per mTLS service,
 * and a Secret (tls.crt, tls.key, ca.crt) for each in its namespace. Private
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
    const plan = renderCertificatePlan(args.spec);
    const child = { parent: this };
    const caPlan = plan.find((c) => c.role === "ca");

    let caCertPem: pulumi.Output<string> = pulumi.output("");
    if (caPlan) {
      const caKey = new tls.PrivateKey(`${name}-${caPlan.id}-key`, KEY, child);
      const ca = new tls.SelfSignedCert(`${name}-${caPlan.id}`, {
        privateKeyPem: caKey.privateKeyPem,
        isCaCertificate: true,
        subject: { commonName: caPlan.commonName, organization: "gateway-auth" },
        allowedUses: caPlan.allowedUses,
        validityPeriodHours: caPlan.validityHours,
        earlyRenewalHours: caPlan.earlyRenewalHours,
      }, child);
      caCertPem = ca.certPem;
      const secrets = plan.filter((c) => c.role !== "ca").map((c) => renderTlsSecret(c, this.issue(name, c, ca, caKey)));
      createManifests(this, name, secrets);
    }

    const ref = (c: CertificatePlan): TlsSecretRef => ({ namespace: c.secret!.namespace, name: c.secret!.name });
    const gateway = plan.find((c) => c.role === "gateway-client");
    this.caCertPem = caCertPem;
    this.gatewaySecret = pulumi.output(gateway ? ref(gateway) : undefined);
    this.serviceSecrets = pulumi.output(Object.fromEntries(plan.filter((c) => c.service).map((c) => [c.service!, ref(c)])));
    this.registerOutputs({ caCertPem: this.caCertPem, gatewaySecret: this.gatewaySecret, serviceSecrets: this.serviceSecrets });
  }

  private issue(name: string, c: CertificatePlan, ca: tls.SelfSignedCert, caKey: tls.PrivateKey) {
    const child = { parent: this };
    const key = new tls.PrivateKey(`${name}-${c.id}-key`, KEY, child);
    const request = new tls.CertRequest(`${name}-${c.id}-csr`, {
      privateKeyPem: key.privateKeyPem,
      subject: { commonName: c.commonName, organization: "gateway-auth" },
      dnsNames: c.dnsNames,
    }, child);
    const cert = new tls.LocallySignedCert(`${name}-${c.id}`, {
      certRequestPem: request.certRequestPem,
      caPrivateKeyPem: caKey.privateKeyPem,
      caCertPem: ca.certPem,
      allowedUses: c.allowedUses,
      validityPeriodHours: c.validityHours,
      earlyRenewalHours: c.earlyRenewalHours,
    }, child);
    // Secret explicitly: the SDK's own marking of privateKeyPem is not applied everywhere (mocks included).
    return { certPem: cert.certPem, keyPem: pulumi.secret(key.privateKeyPem), caPem: ca.certPem };
  }
}
