import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { PACKAGE } from "../access-spec";
import { checkMtlsArgs, type MtlsCertificatesArgs } from "./args";
import { renderCertificatePlanFor, type CertificatePlan } from "./plan";

export type { MtlsCertificatesArgs } from "./args";

const KEY = { algorithm: "ECDSA", ecdsaCurve: "P256" } as const;

/**
 * The certificates of the mTLS plan, issued declaratively with @pulumi/tls: a
 * CA, the gateway's client certificate and a server certificate per mTLS
 * service. Nothing leaves Pulumi's state here; `ServiceMtls` puts them into
 * Kubernetes Secrets, the integration suite into containers.
 */
export class MtlsCertificates extends pulumi.ComponentResource {
  readonly plan: CertificatePlan[];
  /** The CA certificate (public); empty when no service uses mTLS. */
  readonly caCertPem: pulumi.Output<string>;
  /** Plan id -> certificate and key (the key a secret). */
  readonly issued: Record<string, { certPem: pulumi.Output<string>; keyPem: pulumi.Output<string> }>;

  constructor(name: string, args: MtlsCertificatesArgs, opts?: pulumi.ComponentResourceOptions) {
    const checked = checkMtlsArgs(args, `MtlsCertificates ${name}: args`);
    super(`${PACKAGE}:index:MtlsCertificates`, name, {}, opts);
    this.plan = renderCertificatePlanFor(checked);
    this.issued = {};
    const caPlan = this.plan.find((c) => c.role === "ca");
    if (!caPlan) {
      this.caCertPem = pulumi.output("");
    } else {
      const caKey = new tls.PrivateKey(`${name}-${caPlan.id}-key`, KEY, { parent: this });
      const ca = new tls.SelfSignedCert(
        `${name}-${caPlan.id}`,
        {
          privateKeyPem: caKey.privateKeyPem,
          isCaCertificate: true,
          subject: { commonName: caPlan.commonName, organization: "gateway-auth" },
          allowedUses: caPlan.allowedUses,
          validityPeriodHours: caPlan.validityHours,
          earlyRenewalHours: caPlan.earlyRenewalHours,
        },
        { parent: this },
      );
      this.caCertPem = ca.certPem;
      for (const c of this.plan.filter((p) => p.role !== "ca")) this.issued[c.id] = this.issue(name, c, ca, caKey);
    }
    this.registerOutputs({ caCertPem: this.caCertPem });
  }

  private issue(name: string, c: CertificatePlan, ca: tls.SelfSignedCert, caKey: tls.PrivateKey) {
    const child = { parent: this };
    const key = new tls.PrivateKey(`${name}-${c.id}-key`, KEY, child);
    const request = new tls.CertRequest(
      `${name}-${c.id}-csr`,
      {
        privateKeyPem: key.privateKeyPem,
        subject: { commonName: c.commonName, organization: "gateway-auth" },
        dnsNames: c.dnsNames,
      },
      child,
    );
    const cert = new tls.LocallySignedCert(
      `${name}-${c.id}`,
      {
        certRequestPem: request.certRequestPem,
        caPrivateKeyPem: caKey.privateKeyPem,
        caCertPem: ca.certPem,
        allowedUses: c.allowedUses,
        validityPeriodHours: c.validityHours,
        earlyRenewalHours: c.earlyRenewalHours,
      },
      child,
    );
    // Secret explicitly: the SDK's own marking of privateKeyPem is not applied everywhere (mocks included).
    return { certPem: cert.certPem, keyPem: pulumi.secret(key.privateKeyPem) };
  }
}
