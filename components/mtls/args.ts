import type { AccessSpec } from "../access-spec";
import * as P from "../access-spec/patterns";
import { SpecReader, join, type Raw } from "../access-spec/reader";

/**
 * What the gateway <-> service PKI is about, and nothing else: whose CA, which
 * gateway, which services, how long certificates live. `GatewayAuth` derives
 * it from the access spec (`mtlsArgsOf`); a stack that wants only the
 * certificates (and their Secrets) writes it directly.
 */
export interface ServiceMtlsArgs {
  /** Names the CA: `<caName> gateway mTLS CA` (e.g. `shop prod`). At most 40 characters. */
  caName: string;
  /** The gateway that presents the client certificate: its namespace holds the Secret, its name names it. */
  gateway: { name: string; namespace: string };
  /** The services that serve mTLS: each gets a server certificate for its in-cluster DNS names. None: no certificate at all. */
  services: { name: string; namespace: string }[];
  /** The CA's lifetime in days (1-36500). Default: 3650. */
  caValidityDays?: number;
  /** Each leaf certificate's lifetime in days (1-3650, at most the CA's). Default: 90. */
  certificateValidityDays?: number;
  /** Renew this many days before expiry (0-3650, less than the leaves' lifetime). Default: 30. */
  renewBeforeDays?: number;
}

/** `MtlsCertificates` issues what `ServiceMtls` stores: the same args. */
export type MtlsCertificatesArgs = ServiceMtlsArgs;

/** The args checked, every default filled in: what the certificate plan reads. */
export type MtlsPlanArgs = Required<ServiceMtlsArgs>;

/** The access spec's view of its PKI: the services that use mTLS, the spec's lifetimes. */
export function mtlsArgsOf(spec: AccessSpec): MtlsPlanArgs {
  return {
    caName: `${spec.realm.name} ${spec.environment}`,
    gateway: { name: spec.gateway.name, namespace: spec.gateway.namespace },
    services: spec.services.filter((s) => s.mtls).map((s) => ({ name: s.name, namespace: s.namespace })),
    caValidityDays: spec.mtls.caValidityDays,
    certificateValidityDays: spec.mtls.certificateValidityDays,
    renewBeforeDays: spec.mtls.renewBeforeDays,
  };
}

/** The args checked the way the access spec is (every problem with its path, all at once), before any resource exists. */
export function checkMtlsArgs(args: ServiceMtlsArgs, subject: string): MtlsPlanArgs {
  const r = new SpecReader();
  const raw = (r.object("args", args, ["caName", "gateway", "services", "caValidityDays", "certificateValidityDays", "renewBeforeDays"], "") ?? {}) as Record<
    string,
    Raw
  >;
  const gw = r.object("gateway", raw.gateway, ["name", "namespace"]) ?? {};
  const services = r.array("services", raw.services, (p, v) => {
    const o = r.object(p, v, ["name", "namespace"]) ?? {};
    return { name: r.string(join(p, "name"), o.name, P.K8S_NAME), namespace: r.string(join(p, "namespace"), o.namespace, P.K8S_NAME) };
  });
  // One certificate (and Secret) per service: two alike would be one resource twice.
  r.unique(
    services,
    (s) => `${s.namespace}/${s.name}`,
    (i) => `services[${i}].name`,
    "service",
  );
  const checked: MtlsPlanArgs = {
    // The CA's common name appends 19 characters; X.509 allows 64.
    caName: r.string("caName", raw.caName, {
      pattern: /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}$/,
      describe: "a name of at most 40 letters, digits, ' ', '_', '.', '-'",
    }),
    gateway: { name: r.string("gateway.name", gw.name, P.GATEWAY_NAME), namespace: r.string("gateway.namespace", gw.namespace, P.K8S_NAME) },
    services,
    caValidityDays: r.integer("caValidityDays", raw.caValidityDays, { default: 3650, min: 1, max: 36500 }),
    certificateValidityDays: r.integer("certificateValidityDays", raw.certificateValidityDays, { default: 90, min: 1, max: 3650 }),
    renewBeforeDays: r.integer("renewBeforeDays", raw.renewBeforeDays, { default: 30, min: 0, max: 3650 }),
  };
  if (!r.failedAt("renewBeforeDays") && checked.renewBeforeDays >= checked.certificateValidityDays)
    r.fail("renewBeforeDays", `${checked.renewBeforeDays} must be less than certificateValidityDays (${checked.certificateValidityDays})`);
  if (!r.failedAt("certificateValidityDays") && checked.certificateValidityDays > checked.caValidityDays)
    r.fail("certificateValidityDays", `${checked.certificateValidityDays} outlives the CA (caValidityDays ${checked.caValidityDays})`);
  r.throwIfProblems(subject);
  return checked;
}
