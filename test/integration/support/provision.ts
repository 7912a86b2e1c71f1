import * as keycloak from "@pulumi/keycloak";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import * as tls from "@pulumi/tls";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KeycloakIdentity } from "../../../components/identity";
import { MtlsCertificates, mtlsArgsOf } from "../../../components/mtls";
import type { AccessSpec } from "../../../components/access-spec";
import packageJson from "../../../package.json";

/** What the suite needs from provisioning: client secrets, certificates, the realm-trusted test key. */
export interface Provisioned {
  clientSecrets: Record<string, string>;
  appClientSecrets: Record<string, string>;
  seedUserPasswords: Record<string, string>;
  caCertPem: string;
  gateway: { certPem: string; keyPem: string };
  echo: { certPem: string; keyPem: string };
  impostor: { certPem: string; keyPem: string };
  /** An RSA key imported into the realm (lowest priority, so Keycloak keeps signing with its own): signs claim-isolation tokens. */
  testKey: { privateKeyPem: string; publicKeyPem: string };
}

const pluginVersion = (pkg: string) => `v${(packageJson.dependencies as Record<string, string>)[pkg]}`;

/**
 * Provisions the realm with THIS project's identity component, against the
 * Keycloak container, through the Pulumi Automation API (local file backend),
 * and issues the mTLS certificates with the project's PKI component.
 */
export async function provision(spec: AccessSpec, impostor: AccessSpec, keycloakAdminUrl: string): Promise<{ stack: Stack; out: Provisioned }> {
  const backend = mkdtempSync(join(tmpdir(), "gateway-auth-e2e-"));
  const program = async () => {
    const provider = new keycloak.Provider("keycloak", {
      url: keycloakAdminUrl,
      realm: "master",
      clientId: "admin-cli",
      username: "admin",
      password: "admin",
      basePath: "",
      initialLogin: true,
    });
    const identity = new KeycloakIdentity("identity", { spec }, { providers: { keycloak: provider } });
    const testKey = new tls.PrivateKey("test-signing-key", { algorithm: "RSA", rsaBits: 2048 });
    const testCert = new tls.SelfSignedCert("test-signing-cert", {
      privateKeyPem: testKey.privateKeyPem,
      subject: { commonName: "e2e-test-signing" },
      allowedUses: ["digital_signature"],
      validityPeriodHours: 24,
    });
    new keycloak.RealmKeystoreRsa(
      "test-signing-key",
      {
        realmId: identity.realmId,
        name: "e2e-test-key",
        privateKey: testKey.privateKeyPem,
        certificate: testCert.certPem,
        algorithm: "RS256",
        priority: 1,
        active: true,
        enabled: true,
      },
      { provider },
    );
    const certs = new MtlsCertificates("certs", mtlsArgsOf(spec));
    const fake = new MtlsCertificates("impostor-certs", mtlsArgsOf(impostor));
    const pair = (c: { certPem: pulumi.Output<string>; keyPem: pulumi.Output<string> }) => ({ certPem: c.certPem, keyPem: c.keyPem });
    return {
      clientSecrets: identity.serviceClientSecrets,
      appClientSecrets: identity.appClientSecrets,
      seedUserPasswords: identity.seedUserPasswords,
      caCertPem: certs.caCertPem,
      gateway: pair(certs.issued["gateway"]),
      echo: pair(certs.issued["service-shop-echo"]),
      impostor: pair(fake.issued["service-shop-impostor"]),
      testKey: { privateKeyPem: pulumi.secret(testKey.privateKeyPemPkcs8), publicKeyPem: testKey.publicKeyPem },
    };
  };
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: "e2e", projectName: "gateway-auth-e2e", program },
    { envVars: { PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_CONFIG_PASSPHRASE: "e2e-only" } },
  );
  for (const pkg of ["keycloak", "tls", "random"]) await stack.workspace.installPlugin(pkg, pluginVersion(`@pulumi/${pkg}`));
  const result = await stack.up({ onOutput: (line) => process.env.GATEWAY_E2E_VERBOSE && process.stdout.write(line) });
  const out = Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, v.value])) as unknown as Provisioned;
  return { stack, out };
}
