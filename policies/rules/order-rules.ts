import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { parseGoDuration } from "../contract/durations";
import { TYPES, type StackResource } from "./types";

/** Realm fields the Keycloak provider parses with Go's time.ParseDuration. */
const REALM_DURATIONS = [
  "accessTokenLifespan",
  "accessTokenLifespanForImplicitFlow",
  "ssoSessionIdleTimeout",
  "ssoSessionMaxLifespan",
  "offlineSessionIdleTimeout",
  "offlineSessionMaxLifespan",
  "clientSessionIdleTimeout",
  "clientSessionMaxLifespan",
  "accessCodeLifespan",
  "accessCodeLifespanLogin",
  "accessCodeLifespanUserAction",
  "actionTokenGeneratedByUserLifespan",
];
/** Client fields the provider takes as a number of seconds, in a string. */
const CLIENT_SECONDS = [
  "accessTokenLifespan",
  "clientSessionIdleTimeout",
  "clientSessionMaxLifespan",
  "clientOfflineSessionIdleTimeout",
  "clientOfflineSessionMaxLifespan",
];

type Resource = StackResource & Pick<PolicyResource, "dependencies">;
const waitsFor = (r: Resource, target: { urn: string }) => (r.dependencies ?? []).some((d) => d.urn === target.urn);
const label = (r: StackResource) => `${r.type.split(":").pop()} ${r.name}`;

/** The realm a Keycloak resource belongs to: the resource its realmId came from (known at preview, unlike the id). */
const realmOf = (r: Resource) => r.propertyDependencies?.realmId?.[0]?.urn ?? r.props.realmId;

/** Resources that name another by value (not through its outputs), and must be created after it. */
function namedByValue(resources: Resource[]): Array<{ from: Resource; to: Resource; why: string }> {
  const of = (type: string) => resources.filter((r) => r.type === type);
  const sameRealm = (a: Resource, b: Resource) => realmOf(a) === realmOf(b);
  const pairs: Array<{ from: Resource; to: Resource; why: string }> = [];
  const namespaces = new Map(of("kubernetes:core/v1:Namespace").map((n) => [n.props.metadata?.name, n]));
  for (const r of resources.filter((x) => x.type.startsWith("kubernetes:") && x.props.metadata?.namespace)) {
    const ns = namespaces.get(r.props.metadata.namespace);
    if (ns) pairs.push({ from: r, to: ns, why: `it lives in namespace "${r.props.metadata.namespace}"` });
  }
  for (const m of of(TYPES.audienceMapper)) {
    const client = of(TYPES.client).find((c) => c.props.clientId === m.props.includedClientAudience && sameRealm(c, m));
    if (client) pairs.push({ from: m, to: client, why: `it names client "${m.props.includedClientAudience}" (the provider checks it exists)` });
  }
  for (const u of of("keycloak:index/user:User").filter((x) => Object.keys(x.props.attributes ?? {}).length > 0)) {
    const profile = of("keycloak:index/realmUserProfile:RealmUserProfile").find((p) => sameRealm(p, u));
    if (profile)
      pairs.push({ from: u, to: profile, why: "its attributes must be declared by the user profile first (Keycloak drops undeclared ones silently)" });
  }
  for (const g of of("keycloak:openid/clientServiceAccountRealmRole:ClientServiceAccountRealmRole")) {
    const role = of(TYPES.role).find((x) => x.props.name === g.props.role && !x.props.clientId && sameRealm(x, g));
    if (role) pairs.push({ from: g, to: role, why: `it grants role "${g.props.role}" by name` });
  }
  return pairs;
}

/**
 * A first `pulumi up` on a fresh cluster and realm works only if every
 * resource is created after what it names, and every duration is one the
 * provider can parse. Mistakes here pass previews and fail (or silently
 * weaken) the apply.
 */
export const resourcesWaitForWhatTheyName: StackValidationPolicy = {
  name: "resources-wait-for-what-they-name",
  description:
    "Namespaced objects wait for the Namespace the stack creates; Keycloak resources wait for what they name by value; realm durations are Go durations and client lifespans seconds.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const resources = args.resources as unknown as Resource[];
    for (const { from, to, why } of namedByValue(resources)) {
      if (!waitsFor(from, to))
        report(
          `${label(from)} does not wait for ${label(to)}, but ${why}: a first deployment can create it too early. Make it depend on ${to.name}.`,
          from.urn,
        );
    }
    for (const realm of resources.filter((r) => r.type === TYPES.realm)) {
      for (const f of REALM_DURATIONS) {
        const v = realm.props[f];
        if (typeof v === "string" && parseGoDuration(v) === undefined)
          report(
            `realm ${realm.props.realm} ${f} is "${v}", which the Keycloak provider cannot parse (Go durations: h, m, s; no days). Write it in hours.`,
            realm.urn,
          );
      }
    }
    for (const client of resources.filter((r) => r.type === TYPES.client)) {
      for (const f of CLIENT_SECONDS) {
        const v = client.props[f];
        if (v !== undefined && !/^\d+$/.test(String(v)))
          report(`client ${client.props.clientId} ${f} is "${v}": the Keycloak provider takes a number of seconds here.`, client.urn);
      }
    }
  },
};
