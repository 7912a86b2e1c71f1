/**
 * The mTLS certificates of a spec, issued with openssl from the same plan the
 * `MtlsCertificates` component issues with @pulumi/tls (subjects, SANs, key
 * usages, ECDSA P-256), for tiers without the Pulumi CLI and its plugins.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderCertificatePlan, type CertificatePlan } from "../../../components/mtls";
import type { AccessSpec } from "../../../components/access-spec";

export interface IssuedPki {
  caCertPem: string;
  /** Plan id (`gateway`, `service-<ns>-<name>`) -> certificate and key. */
  issued: Record<string, { certPem: string; keyPem: string }>;
}

const KEY_USAGE: Record<string, string> = {
  digital_signature: "digitalSignature",
  key_encipherment: "keyEncipherment",
  cert_signing: "keyCertSign",
  crl_signing: "cRLSign",
};
const EXTENDED_KEY_USAGE: Record<string, string> = { server_auth: "serverAuth", client_auth: "clientAuth" };

function extensions(c: CertificatePlan): string {
  const ku = c.allowedUses.filter((u) => KEY_USAGE[u]).map((u) => KEY_USAGE[u]);
  const eku = c.allowedUses.filter((u) => EXTENDED_KEY_USAGE[u]).map((u) => EXTENDED_KEY_USAGE[u]);
  return [
    `basicConstraints=critical,CA:${c.role === "ca" ? "TRUE" : "FALSE"}`,
    ku.length ? `keyUsage=critical,${ku.join(",")}` : "",
    eku.length ? `extendedKeyUsage=${eku.join(",")}` : "",
    c.dnsNames.length ? `subjectAltName=${c.dnsNames.map((d) => `DNS:${d}`).join(",")}` : "",
  ]
    .filter(Boolean)
    .join("\n");
}

export function issuePki(spec: AccessSpec): IssuedPki {
  const plan = renderCertificatePlan(spec);
  const dir = mkdtempSync(join(tmpdir(), "gateway-auth-pki-"));
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  const newKey = (id: string) => openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${id}.key`);
  const subject = (c: CertificatePlan) => `/O=gateway-auth/CN=${c.commonName}`;
  try {
    const ca = plan.find((c) => c.role === "ca");
    if (!ca) return { caCertPem: "", issued: {} };
    newKey("ca");
    writeFileSync(join(dir, "ca.ext"), extensions(ca));
    openssl(
      "req",
      "-x509",
      "-new",
      "-key",
      "ca.key",
      "-subj",
      subject(ca),
      "-days",
      "2",
      "-out",
      "ca.crt",
      "-extensions",
      "v3",
      "-config",
      writeConfig(dir, "ca", extensions(ca)),
    );
    const issued: IssuedPki["issued"] = {};
    for (const c of plan.filter((p) => p.role !== "ca")) {
      newKey(c.id);
      openssl("req", "-new", "-key", `${c.id}.key`, "-subj", subject(c), "-out", `${c.id}.csr`);
      writeFileSync(join(dir, `${c.id}.ext`), extensions(c));
      openssl(
        "x509",
        "-req",
        "-in",
        `${c.id}.csr`,
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        `${c.id}.ext`,
        "-out",
        `${c.id}.crt`,
      );
      issued[c.id] = { certPem: readFileSync(join(dir, `${c.id}.crt`), "utf8"), keyPem: readFileSync(join(dir, `${c.id}.key`), "utf8") };
    }
    return { caCertPem: readFileSync(join(dir, "ca.crt"), "utf8"), issued };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `openssl req -x509` takes extensions from a config section. */
function writeConfig(dir: string, id: string, ext: string): string {
  const file = join(dir, `${id}.cnf`);
  writeFileSync(file, `[req]\ndistinguished_name=dn\n[dn]\n[v3]\n${ext}\nsubjectKeyIdentifier=hash\n`);
  return file;
}
