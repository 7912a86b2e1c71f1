import type * as pulumi from "@pulumi/pulumi";
import type { Manifest } from "../kubernetes";
import { MANAGED_BY_LABEL } from "../access-spec";
import type { CertificatePlan } from "./plan";

export interface IssuedCertificate {
  certPem: pulumi.Input<string>;
  /** Must be a Pulumi secret. */
  keyPem: pulumi.Input<string>;
  caPem: pulumi.Input<string>;
}

/** A kubernetes.io/tls Secret with tls.crt, tls.key and ca.crt, where a certificate's plan says. */
export function renderTlsSecret(plan: CertificatePlan, issued: IssuedCertificate): Manifest {
  if (!plan.secret) throw new Error(`certificate ${plan.id} is not stored in a Secret`);
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: plan.secret.name, namespace: plan.secret.namespace, labels: { ...MANAGED_BY_LABEL, "gateway-auth/certificate": plan.id } },
    type: "kubernetes.io/tls",
    stringData: { "tls.crt": issued.certPem, "tls.key": issued.keyPem, "ca.crt": issued.caPem },
  };
}
