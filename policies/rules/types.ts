/** Resource type tokens the rules read. */
export const TYPES = {
  realm: "keycloak:index/realm:Realm",
  role: "keycloak:index/role:Role",
  groupRoles: "keycloak:index/groupRoles:GroupRoles",
  serviceAccountRealmRole: "keycloak:openid/clientServiceAccountRealmRole:ClientServiceAccountRealmRole",
  client: "keycloak:openid/client:Client",
  clientScope: "keycloak:openid/clientScope:ClientScope",
  clientDefaultScopes: "keycloak:openid/clientDefaultScopes:ClientDefaultScopes",
  clientOptionalScopes: "keycloak:openid/clientOptionalScopes:ClientOptionalScopes",
  attributeMapper: "keycloak:openid/userAttributeProtocolMapper:UserAttributeProtocolMapper",
  hardcodedClaimMapper: "keycloak:openid/hardcodedClaimProtocolMapper:HardcodedClaimProtocolMapper",
  realmRoleMapper: "keycloak:openid/userRealmRoleProtocolMapper:UserRealmRoleProtocolMapper",
  audienceMapper: "keycloak:openid/audienceProtocolMapper:AudienceProtocolMapper",
  configMap: "kubernetes:core/v1:ConfigMap",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
} as const;

/** Kubernetes kinds whose pod template the non-root rule checks. */
export const WORKLOAD_TYPES = [
  "kubernetes:apps/v1:Deployment",
  "kubernetes:apps/v1:StatefulSet",
  "kubernetes:apps/v1:DaemonSet",
  "kubernetes:batch/v1:Job",
  "kubernetes:batch/v1:CronJob",
  "kubernetes:core/v1:Pod",
];

/** The part of a resource the rules look at: what `pulumi preview` hands a policy pack. */
export interface StackResource {
  type: string;
  name: string;
  urn: string;
  props: Record<string, any>;
  propertyDependencies?: Record<string, Array<{ urn: string }>>;
  /** URNs of the resources it waits for (the engine hands policies these as `dependencies`). */
  dependsOn?: string[];
}
