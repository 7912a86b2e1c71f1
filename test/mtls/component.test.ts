import { beforeAll, describe, expect, it } from "vitest";
import { ServiceMtls, mtlsArgsOf } from "../../components/mtls";
import { isSecretValue, type ResourceRecorder } from "../../scripts/lib/mock-stack";
import { spec } from "../fixtures/raw-spec";
import { validateManifest } from "../support/kubernetes-schemas";
import { build, isSecret, unwrapSecrets, useRecorder, valueOf } from "../support/mocks";

let rec: ResourceRecorder;
let mtls: ServiceMtls;
beforeAll(async () => {
  rec = await useRecorder();
  await build(rec, () => {
    mtls = new ServiceMtls("pki", mtlsArgsOf(spec()));
  });
});

const T = {
  key: "tls:index/privateKey:PrivateKey",
  ca: "tls:index/selfSignedCert:SelfSignedCert",
  csr: "tls:index/certRequest:CertRequest",
  cert: "tls:index/locallySignedCert:LocallySignedCert",
  secret: "kubernetes:core/v1:Secret",
};

describe("ServiceMtls under mocks", () => {
  it("creates a self-signed CA that is a CA", () => {
    expect(rec.one(T.ca, "pki-certs-ca").inputs).toMatchObject({ isCaCertificate: true, allowedUses: ["cert_signing", "crl_signing", "digital_signature"] });
  });

  it("issues each leaf with the CA's certificate and key", () => {
    for (const cert of rec.ofType(T.cert)) {
      expect(cert.inputs.caCertPem).toBe("mock-cert-pki-certs-ca");
      expect(unwrapSecrets(cert.inputs.caPrivateKeyPem)).toBe("mock-private-key-pki-certs-ca-key");
    }
    expect(
      rec
        .ofType(T.cert)
        .map((c) => c.name)
        .sort(),
    ).toEqual(["pki-certs-gateway", "pki-certs-service-shop-orders"]);
  });

  it("requests the service certificate for its DNS names, from its own key", () => {
    const csr = rec.one(T.csr, "pki-certs-service-shop-orders-csr").inputs;
    expect(csr.dnsNames).toEqual(["orders", "orders.shop", "orders.shop.svc", "orders.shop.svc.cluster.local"]);
    expect(unwrapSecrets(csr.privateKeyPem)).toBe("mock-private-key-pki-certs-service-shop-orders-key");
  });

  it("uses ECDSA P-256 keys", () => {
    for (const k of rec.ofType(T.key)) expect(k.inputs).toMatchObject({ algorithm: "ECDSA", ecdsaCurve: "P256" });
  });

  it("stores tls.crt, tls.key and ca.crt in a kubernetes.io/tls Secret per service namespace, the key as a Pulumi secret", () => {
    const secrets = rec.ofType(T.secret);
    // The gateway's Secret lives in the gateway's namespace: ApisixGateway creates it, after that namespace.
    expect(secrets.map((s) => `${s.inputs.metadata.namespace}/${s.inputs.metadata.name}`).sort()).toEqual(["shop/apisix-orders-mtls"]);
    for (const s of secrets) {
      expect(s.inputs.type).toBe("kubernetes.io/tls");
      // Pulumi marks the whole stringData secret once one value in it is.
      expect(isSecretValue(s.inputs.stringData)).toBe(true);
      const data = unwrapSecrets(s.inputs.stringData);
      expect(Object.keys(data).sort()).toEqual(["ca.crt", "tls.crt", "tls.key"]);
      expect(data["ca.crt"]).toBe("mock-cert-pki-certs-ca");
      expect(() => validateManifest({ ...unwrapSecrets(s.inputs), apiVersion: "v1", kind: "Secret" })).not.toThrow();
    }
  });

  it("names the Secrets users wire their workloads to, and hands the gateway its certificate as a secret output", async () => {
    expect(await valueOf(mtls.serviceSecrets)).toEqual({ orders: { namespace: "shop", name: "apisix-orders-mtls" } });
    expect(await isSecret(mtls.gatewayTls)).toBe(true);
    expect(await valueOf(mtls.gatewayTls)).toEqual({
      certPem: "mock-cert-pki-certs-gateway",
      keyPem: "mock-private-key-pki-certs-gateway-key",
      caCertPem: "mock-cert-pki-certs-ca",
    });
  });
});
