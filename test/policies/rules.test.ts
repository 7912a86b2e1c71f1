import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { policies, type StackResource } from "../../policies/rules";
import { PROJECT_ROOT } from "../../scripts/lib/run-stack";
import { runPolicies } from "../support/policy-harness";
import { loadRecordedStack } from "../support/recorded-stacks";

let prod: StackResource[];
beforeAll(async () => {
  prod = await loadRecordedStack("prod");
});

type Mutation = (stack: StackResource[]) => void;

const find = (stack: StackResource[], type: string, name: string) => {
  const r = stack.find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`no ${type} ${name}`);
  return r;
};
const realm = (s: StackResource[]) => find(s, "keycloak:index/realm:Realm", "identity-realm").props;
const webClient = (s: StackResource[]) => find(s, "keycloak:openid/client:Client", "identity-client-shop-web").props;
const deployment = (s: StackResource[]) => s.find((r) => r.type === "kubernetes:apps/v1:Deployment")!.props;
const policy = (s: StackResource[], ns: string, name: string) =>
  s.find((r) => r.type.endsWith("NetworkPolicy") && r.props.metadata.namespace === ns && r.props.metadata.name === name)!;
const apisixConfigMap = (s: StackResource[]) => s.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && r.props.data?.["apisix.yaml"])!;
const remove = (s: StackResource[], r: StackResource) => s.splice(s.indexOf(r), 1);
/** Forgets that `r` waits for any resource of `type`. */
const dropDependency = (r: StackResource, type: string) => (r.dependsOn = (r.dependsOn ?? []).filter((urn) => !urn.includes(`${type}::`)));

/** Edits the rendered apisix.yaml inside the gateway's ConfigMap. */
function editApisix(s: StackResource[], edit: (doc: any) => void): void {
  const cm = apisixConfigMap(s);
  const doc = parse(cm.props.data["apisix.yaml"].replace(/#END\s*$/, ""));
  edit(doc);
  cm.props.data["apisix.yaml"] = `${stringify(doc)}#END\n`;
}
/** Edits the rendered config.yaml inside the gateway's ConfigMap. */
function editConfig(s: StackResource[], edit: (config: any) => void): void {
  const cm = apisixConfigMap(s);
  const config = parse(cm.props.data["config.yaml"]);
  edit(config);
  cm.props.data["config.yaml"] = stringify(config);
}
const withoutDirective = (name: string) => (c: any) => {
  c.nginx_config.http_server_configuration_snippet = c.nginx_config.http_server_configuration_snippet
    .split("\n")
    .filter((l: string) => !l.startsWith(`${name} `))
    .join("\n");
};
const oidcConfs = (doc: any) => doc.routes.filter((r: any) => r.plugins?.["openid-connect"]?.bearer_only).map((r: any) => r.plugins["openid-connect"]);
const sessionConfs = (doc: any) =>
  doc.routes.filter((r: any) => r.plugins?.["openid-connect"]?.bearer_only === false).map((r: any) => r.plugins["openid-connect"]);
const scopeNamed = (s: StackResource[], name: string) => s.find((r) => r.type === "keycloak:openid/clientScope:ClientScope" && r.props.name === name)!.props;
const appClient = (s: StackResource[]) => find(s, "keycloak:openid/client:Client", "identity-client-storefront-gateway").props;

/** For each rule: a change to the prod stack that breaks exactly that rule, and what its message must say. */
const breaks: Array<{ rule: string; mutate: Mutation; message: RegExp }> = (
  [
    ["keycloak-browser-client-pkce", (s) => (webClient(s).pkceCodeChallengeMethod = "plain"), /public client "shop-web" uses the code flow without PKCE S256/],
    ["keycloak-browser-client-pkce", (s) => (webClient(s).directAccessGrantsEnabled = true), /password grant/],
    [
      "keycloak-no-wildcard-redirects",
      (s) => webClient(s).validRedirectUris.push("https://shop.example.com/*"),
      /validRedirectUris contains wildcard "https:\/\/shop\.example\.com\/\*"/,
    ],
    ["keycloak-realm-ssl-and-brute-force", (s) => delete realm(s).securityDefenses.bruteForceDetection, /realm "shop" has no brute-force detection/],
    ["keycloak-realm-ssl-and-brute-force", (s) => (realm(s).sslRequired = "none"), /sslRequired "none" in prod/],
    ["keycloak-access-token-lifespan", (s) => (realm(s).accessTokenLifespan = "1h"), /access tokens for 1h, longer than 900s/],
    [
      "keycloak-access-token-lifespan",
      (s) => (appClient(s).accessTokenLifespan = "86400"),
      /client "storefront-gateway" issues access tokens for 86400s, longer than 900s/,
    ],
    [
      "no-secrets-in-configmaps",
      (s) => (apisixConfigMap(s).props.data["debug.pem"] = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"),
      /key "debug\.pem" holds a private key/,
    ],
    [
      "apisix-openid-connect-hardening",
      (s) => editApisix(s, (d) => oidcConfs(d).forEach((c: any) => (c.accept_unsupported_alg = true))),
      /missing accept_unsupported_alg: false/,
    ],
    ["apisix-openid-connect-hardening", (s) => editApisix(s, (d) => oidcConfs(d).forEach((c: any) => (c.use_jwks = false))), /missing use_jwks: true/],
    [
      "apisix-openid-connect-hardening",
      (s) => editApisix(s, (d) => delete d.routes.find((r: any) => r.id === "orders.api_orders_all.get-head").plugins["gateway-identity"].audience),
      /route orders\.api_orders_all\.get-head .* runs openid-connect without gateway-identity's audience/,
    ],
    // Any `_meta` on openid-connect, the fast path's former filter included.
    ...[
      { disable: true },
      { filter: [["arg_skip", "~=", "1"]] },
      { filter: [["gateway_token_verified", "~=", "yes"]] },
      { priority: 1 },
      { pre_function: "return function() end" },
      {},
    ].map((meta): [string, (s: any) => void, RegExp] => [
      "apisix-openid-connect-hardening",
      (s) => editApisix(s, (d) => (oidcConfs(d)[0]._meta = meta)),
      new RegExp(`has _meta ${JSON.stringify(meta).replace(/[[\]{}()*+?.\\^$|]/g, "\\$&")}: none is allowed`),
    ]),
    [
      "networkpolicy-declares-policy-types",
      (s) => delete policy(s, "shop", "allow-apisix-to-orders").props.spec.policyTypes,
      /shop\/allow-apisix-to-orders does not declare spec\.policyTypes/,
    ],
    [
      "containers-run-as-non-root",
      (s) => (deployment(s).spec.template.spec.initContainers[0].securityContext.runAsNonRoot = false),
      /container apisix\/prepare-conf may run as root/,
    ],
    [
      "gateway-drains-before-stopping",
      (s) => delete deployment(s).spec.template.spec.containers[0].lifecycle,
      /container apisix has no preStop sleep of at least 5 s/,
    ],
    [
      "gateway-drains-before-stopping",
      (s) => {
        editApisix(s, (d) => d.upstreams.forEach((u: any) => (u.timeout = { connect: 1, send: 1, read: 1 })));
        deployment(s).spec.template.spec.terminationGracePeriodSeconds = 20;
      },
      /terminationGracePeriodSeconds 20, less than the preStop sleep \(10 s\) plus 30 s/,
    ],
    [
      "gateway-workers-within-cpu-limit",
      (s) => editConfig(s, (c) => (c.nginx_config.worker_processes = "auto")),
      /has a CPU limit of 2 but its config\.yaml runs worker_processes "auto": nginx's auto starts one worker per node CPU/,
    ],
    [
      "gateway-workers-within-cpu-limit",
      (s) => editConfig(s, (c) => (c.nginx_config.worker_processes = 3)),
      /worker_processes 3: more workers than the 2 core\(s\) it may use/,
    ],
    [
      "gateway-workers-within-cpu-limit",
      (s) => (deployment(s).spec.template.spec.containers[0].resources.limits.cpu = "500m"),
      /has a CPU limit of 500m but its config\.yaml runs worker_processes 2: more workers than the 1 core\(s\) it may use \(rounded up\)/,
    ],
    [
      "gateway-fast-path-within-memory-limit",
      (s) => (deployment(s).spec.template.spec.containers[0].resources.limits.memory = "128Mi"),
      /has a memory limit of 128Mi, but its fast path can take 98\.4 MiB \(2000 verified tokens in each of 2 workers, worst case, plus a 32 MiB shared level\): more than 50 % of it\. Raise the limit to at least 197Mi/,
    ],
    [
      "gateway-fast-path-within-memory-limit",
      (s) => editApisix(s, (d) => (d.routes.find((r: any) => r.plugins?.["gateway-key-guard"]).plugins["gateway-key-guard"].verified_tokens.size = 20000)),
      /its fast path can take 696\.1 MiB \(20000 verified tokens in each of 2 workers/,
    ],
    [
      "gateway-fast-path-within-memory-limit",
      (s) => editConfig(s, (c) => (c.nginx_config.http.custom_lua_shared_dict.gateway_verified_tokens = "1g")),
      /plus a 1024 MiB shared level/,
    ],
    [
      "gateway-grace-covers-longest-request",
      (s) => editApisix(s, (d) => (d.upstreams[0].timeout.read = 600)),
      /terminationGracePeriodSeconds 80, less than its preStop sleep \(10 s\) plus the longest request upstream shop\.orders lets run \(635 s\)/,
    ],
    [
      "gateway-grace-covers-longest-request",
      (s) =>
        editApisix(s, (d) => {
          delete d.upstreams[0].timeout;
          d.upstreams[0].retries = 1;
        }),
      /the longest request upstream shop\.orders lets run \(360 s\)/,
    ],
    [
      "gateway-roles-reach-tokens",
      (s) => editApisix(s, (d) => d.routes.find((r: any) => r.plugins?.["gateway-identity"]).plugins["gateway-identity"].allow_roles.push("auditor")),
      /requires role "auditor", which no keycloak\.Role in the realm declares/,
    ],
    [
      "gateway-roles-reach-tokens",
      (s) =>
        remove(
          s,
          s.find((r) => r.type.endsWith("UserRealmRoleProtocolMapper"))!,
        ),
      /no UserRealmRoleProtocolMapper puts realm roles into access tokens/,
    ],
    [
      "gateway-roles-reach-tokens",
      (s) => (s.find((r) => r.type.endsWith("UserRealmRoleProtocolMapper"))!.propertyDependencies = { clientScopeId: [{ urn: "urn:elsewhere" }] }),
      /client "billing-worker" does not get the realm-role mapper/,
    ],
    [
      "gateway-roles-granted",
      (s) => (s.find((r) => r.name === "identity-group-admins-roles")!.propertyDependencies = { roleIds: [] }),
      /gateway-identity on route orders\.api_orders_all\.delete allows only roles no group grants and no service account holds \(admin\)/,
    ],
    [
      "gateway-roles-granted",
      (s) => {
        for (const g of s.filter((r) => r.type.endsWith("GroupRoles"))) g.propertyDependencies = { roleIds: [] };
        for (const r of s.filter((x) => x.type.endsWith("ClientServiceAccountRealmRole"))) r.props.role = "nothing";
      },
      /allows only roles no group grants and no service account holds/,
    ],
    [
      "gateway-audience-emitted",
      (s) =>
        remove(
          s,
          s.find((r) => r.type.endsWith("AudienceProtocolMapper"))!,
        ),
      /requires audience "api-gateway" but no AudienceProtocolMapper adds it/,
    ],
    [
      "gateway-scopes-grantable",
      (s) => (scopeNamed(s, "orders:write").includeInTokenScope = false),
      /client scope "orders:write" .* sets includeInTokenScope false/,
    ],
    [
      "gateway-scopes-grantable",
      (s) => {
        const d = find(s, "keycloak:openid/clientDefaultScopes:ClientDefaultScopes", "identity-client-billing-worker-default-scopes").props;
        d.defaultScopes = d.defaultScopes.filter((x: string) => x !== "orders:write");
      },
      /requires scope "orders:write", but no calling client has it as a default or optional scope/,
    ],
    [
      "gateway-scopes-grantable",
      (s) =>
        editApisix(s, (d) =>
          d.routes.find((r: any) => r.id === "orders.api_orders_all.post-put-patch").plugins["gateway-identity"].required_scopes.push("orders:delete"),
        ),
      /requires scope "orders:delete", which no keycloak ClientScope declares/,
    ],
    [
      "gateway-tenant-claim-emitted",
      (s) =>
        remove(
          s,
          s.find((r) => r.type.endsWith("UserAttributeProtocolMapper") && r.props.claimName === "tenant_id")!,
        ),
      /binds a \{tenant\} segment to claim "tenant_id", but no UserAttributeProtocolMapper puts "tenant_id" into access tokens/,
    ],
    [
      "gateway-tenant-claim-emitted",
      (s) =>
        (s.find((r) => r.type.endsWith("UserAttributeProtocolMapper") && r.props.claimName === "tenant_id")!.propertyDependencies = {
          clientScopeId: [{ urn: "urn:elsewhere" }],
        }),
      /client "shop-web" does not get a mapper for tenant claim "tenant_id"/,
    ],
    [
      "gateway-issuer-matches-realm",
      (s) => (realm(s).attributes.frontendUrl = "https://login.example.com"),
      /accepts issuers \["https:\/\/auth\.example\.com\/realms\/shop"\] but realm "shop" issues "https:\/\/login\.example\.com\/realms\/shop"/,
    ],
    [
      "service-namespaces-isolated",
      (s) => remove(s, policy(s, "shop", "apisix-default-deny-ingress")),
      /namespace "shop" \(an upstream of the gateway\) has no default-deny ingress NetworkPolicy/,
    ],
    [
      "service-namespaces-isolated",
      (s) => remove(s, policy(s, "shop-admin", "allow-apisix-to-admin")),
      /namespace "shop-admin" has no NetworkPolicy admitting the gateway's pods/,
    ],
    [
      "prod-upstreams-mtls",
      (s) =>
        editApisix(s, (d) => {
          d.upstreams[0].scheme = "http";
        }),
      /upstream "shop\.orders" uses http in prod/,
    ],
    [
      "prod-upstreams-mtls",
      (s) => editConfig(s, withoutDirective("proxy_ssl_certificate_key")),
      /upstream "shop\.orders" is https without a client certificate in prod/,
    ],
    [
      "prod-upstreams-mtls",
      (s) => editConfig(s, withoutDirective("proxy_ssl_verify")),
      /upstream "shop\.orders" is https but the gateway does not verify the service's certificate/,
    ],
    [
      "routes-authenticated",
      (s) => editApisix(s, (d) => delete d.routes.find((r: any) => r.id === "orders.api_orders_all.get-head").plugins["openid-connect"]),
      /route orders\.api_orders_all\.get-head \(\/api\/orders\/\*\) reaches an upstream without openid-connect/,
    ],
    [
      "routes-authenticated",
      (s) => editApisix(s, (d) => delete d.routes.find((r: any) => r.id === "orders.api_orders_all.get-head").plugins["gateway-identity"].allow_roles),
      /route orders\.api_orders_all\.get-head \(\/api\/orders\/\*\) runs gateway-identity without allow_roles/,
    ],
    [
      "header-stripping-covers-identity",
      (s) =>
        editApisix(s, (d) => {
          const rm = d.global_rules.find((g: any) => g.plugins["gateway-request-guard"]).plugins["gateway-request-guard"].strip_headers;
          rm.splice(rm.indexOf("x-tenant-id"), 1);
        }),
      /no global rule removes "X-Tenant-ID"/,
    ],
    [
      "claim-headers-not-infrastructure",
      (s) =>
        editApisix(s, (d) => {
          // Stripped from callers as it should be: what is wrong is that a claim sets it.
          d.global_rules.find((g: any) => g.plugins["gateway-request-guard"]).plugins["gateway-request-guard"].strip_headers.push("x-http-method-override");
          for (const r of d.routes)
            if (r.plugins?.["gateway-identity"]) r.plugins["gateway-identity"].claim_headers = [{ claim: "nickname", header: "X-HTTP-Method-Override" }];
        }),
      /passes claim "nickname" to services as X-HTTP-Method-Override, a header proxies and frameworks act on/,
    ],
    [
      "apisix-openid-connect-hardening",
      (s) => editApisix(s, (d) => sessionConfs(d).forEach((c: any) => (c.session.cookie_http_only = false))),
      /missing session\.cookie_http_only: true/,
    ],
    ["apisix-openid-connect-hardening", (s) => editApisix(s, (d) => sessionConfs(d).forEach((c: any) => (c.use_pkce = false))), /missing use_pkce: true/],
    [
      "browser-sessions-within-keycloak",
      (s) => (appClient(s).clientSessionMaxLifespan = "3600"),
      /lasts 28800s, longer than client "storefront-gateway"'s Keycloak session \(3600s\)/,
    ],
    [
      "browser-sessions-within-keycloak",
      (s) => (appClient(s).validRedirectUris = ["https://shop.example.com/elsewhere"]),
      /does not list the gateway's callback "https:\/\/shop\.example\.com\/app\/callback"/,
    ],
    [
      "resources-wait-for-what-they-name",
      (s) => dropDependency(apisixConfigMap(s), "kubernetes:core/v1:Namespace"),
      /ConfigMap gateway-configmap-gateway-apisix-config does not wait for Namespace gateway-namespace-gateway, but it lives in namespace "gateway"/,
    ],
    [
      "resources-wait-for-what-they-name",
      (s) =>
        dropDependency(
          s.find((r) => r.type.endsWith("AudienceProtocolMapper"))!,
          "keycloak:openid/client:Client",
        ),
      /AudienceProtocolMapper identity-mapper-audience does not wait for Client identity-client-api-gateway, but it names client "api-gateway"/,
    ],
    [
      "resources-wait-for-what-they-name",
      (s) => (realm(s).ssoSessionMaxLifespan = "1d"),
      /realm shop ssoSessionMaxLifespan is "1d", which the Keycloak provider cannot parse/,
    ],
    [
      "resources-wait-for-what-they-name",
      (s) => (appClient(s).clientSessionMaxLifespan = "8h"),
      /client storefront-gateway clientSessionMaxLifespan is "8h": the Keycloak provider takes a number of seconds/,
    ],
    [
      "kubernetes-objects-unique",
      (s) => s.push({ ...structuredClone(apisixConfigMap(s)), name: "second-gateway-config", urn: "urn:second" }),
      /ConfigMap gateway\/apisix-config is managed by both gateway-configmap-gateway-apisix-config and second-gateway-config/,
    ],
    ["browser-sessions-within-keycloak", (s) => (realm(s).ssoSessionMaxLifespan = "1h"), /longer than realm "shop"'s ssoSessionMaxLifespan \(3600s\)/],
    [
      "rate-limits-shared",
      (s) => editApisix(s, (d) => delete d.routes.find((r: any) => r.id === "orders.api_orders_all.post-put-patch").plugins["limit-count"].group),
      /route orders\.api_orders_all\.post-put-patch: limit-count without a group keeps a counter per worker process/,
    ],
    [
      "rate-limits-shared",
      (s) => editApisix(s, (d) => (d.routes.find((r: any) => r.id === "orders.api_orders_all.post-put-patch").plugins["limit-count"].policy = "local")),
      /route orders\.api_orders_all\.post-put-patch: local rate-limit counters on 3 replicas allow 3 times each limit in prod/,
    ],
    [
      "no-secrets-in-configmaps",
      (s) =>
        editApisix(s, (d) => (d.routes.find((r: any) => r.id === "orders.api_orders_all.post-put-patch").plugins["limit-count"].redis_password = "hunter2")),
      /holds a Redis password/,
    ],
    [
      "prod-trust-not-widened",
      (s) => editApisix(s, (d) => (d.routes.find((r: any) => r.id === "orders.api_orders_all.post-put-patch").plugins["limit-count"].allow_degradation = true)),
      /limit-count with allow_degradation switches the limit off while its store is unreachable/,
    ],
    ["prod-trust-not-widened", (s) => editConfig(s, (c) => (c.apisix.trusted_addresses = ["0.0.0.0/0"])), /trusted_addresses has "0\.0\.0\.0\/0"/],
    [
      "prod-trust-not-widened",
      (s) =>
        editApisix(s, (d) => (d.routes.find((r: any) => r.id === "orders.api_orders_all.get-head").plugins["gateway-identity"].forward_authorization = true)),
      /forwards the caller's bearer token/,
    ],
    [
      "prod-trust-not-widened",
      (s) => editApisix(s, (d) => (d.routes.find((r: any) => r.id === "orders.api_orders_all.get-head").labels.override = "allowed")),
      /method overrides allowed/,
    ],
  ] as Array<[string, Mutation, RegExp]>
).map(([rule, mutate, message]) => ({ rule, mutate, message }));

describe("each rule refuses a stack that breaks it, and only it", () => {
  it.each(breaks)("$rule: $message", async ({ rule, mutate, message }) => {
    const stack: StackResource[] = structuredClone(prod);
    mutate(stack);
    const violations = await runPolicies(policies, stack, { environment: "prod" });
    expect(violations.length).toBeGreaterThan(0);
    expect([...new Set(violations.map((v) => v.policy))]).toEqual([rule]);
    expect(violations.map((v) => v.message).join("\n")).toMatch(message);
  });

  it("every rule of the pack has a failing case above", () => {
    const covered = new Set(breaks.map((b) => b.rule));
    expect(policies.map((p) => p.name).filter((n) => !covered.has(n))).toEqual([]);
  });
});

describe("gateway-roles-granted and the spec's opt-out", () => {
  it("counts a role marked as given outside the stack (realm.roles[].grantedOutsideSpec) as granted", async () => {
    const stack: StackResource[] = structuredClone(prod);
    find(stack, "keycloak:index/groupRoles:GroupRoles", "identity-group-admins-roles").propertyDependencies = { roleIds: [] };
    const rolesGranted = async () => (await runPolicies(policies, stack, { environment: "prod" })).filter((v) => v.policy === "gateway-roles-granted");
    expect((await rolesGranted()).length).toBeGreaterThan(0);
    find(stack, "keycloak:index/role:Role", "identity-role-admin").props.attributes = { "gateway-auth.granted-outside-spec": "true" };
    expect(await rolesGranted()).toEqual([]);
  });
});

describe("prod-trust-not-widened", () => {
  it("is prod's only: the same widened stack passes in dev", async () => {
    const stack: StackResource[] = structuredClone(prod);
    editConfig(stack, (c) => (c.apisix.trusted_addresses = ["0.0.0.0/0"]));
    expect((await runPolicies(policies, stack, { environment: "prod" })).map((v) => v.policy)).toEqual(["prod-trust-not-widened"]);
    expect((await runPolicies(policies, stack, { environment: "dev" })).filter((v) => v.policy === "prod-trust-not-widened")).toEqual([]);
  });

  it("finds same-namespace ingress in a NetworkPolicy (services reachable without the gateway)", async () => {
    const stack: StackResource[] = structuredClone(prod);
    const np = stack.find((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy")!;
    stack.push({
      ...structuredClone(np),
      urn: `${np.urn}-same`,
      name: `${np.name}-same`,
      props: {
        ...structuredClone(np.props),
        metadata: { ...np.props.metadata, name: "allow-same-namespace" },
        spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] },
      },
    });
    const found = (await runPolicies(policies, stack, { environment: "prod" })).filter((v) => v.policy === "prod-trust-not-widened");
    expect(found.map((v) => v.message).join("\n")).toMatch(/admits every pod of its namespace to every pod/);
  });
});

describe("environment config", () => {
  it("wildcard redirect URIs are allowed in dev only", async () => {
    const stack: StackResource[] = structuredClone(prod);
    webClient(stack).validRedirectUris.push("http://localhost:5173/*");
    expect(await runPolicies(policies, stack, { environment: "dev" })).toEqual([]);
  });

  it.each(["http://*.localtest.me/cb", "http://localhost:*/cb", "http://localhost:5173*", "http://localhost:5173/*/cb"])(
    "even in dev, a redirect URI wildcard Keycloak never matches (%s) is refused",
    async (uri) => {
      const stack: StackResource[] = structuredClone(prod);
      webClient(stack).validRedirectUris.push(uri);
      const found = await runPolicies(policies, stack, { environment: "dev" });
      expect(found.map((v) => v.policy)).toEqual(["keycloak-no-wildcard-redirects"]);
      expect(found[0].message).toContain(`"${uri}": Keycloak matches a wildcard only at the very end`);
    },
  );

  it("plaintext upstreams are refused in prod only", async () => {
    const stack: StackResource[] = structuredClone(prod);
    editApisix(stack, (d) => {
      d.upstreams[0].scheme = "http";
      delete d.upstreams[0].tls;
    });
    expect(await runPolicies(policies, stack, { environment: "staging" })).toEqual([]);
  });

  it("the access-token bound can be configured", async () => {
    const violations = await runPolicies(policies, prod, { environment: "prod", maxAccessTokenLifespanSeconds: 120 });
    expect(violations.map((v) => v.policy)).toEqual(["keycloak-access-token-lifespan"]);
  });
});

describe("enforcement levels", () => {
  it("security rules are mandatory; hygiene rules advisory", () => {
    const levels = Object.fromEntries(policies.map((p) => [p.name, p.enforcementLevel]));
    expect(levels["networkpolicy-declares-policy-types"]).toBe("advisory");
    // A role nobody is granted may still be assigned outside the stack: said, not refused.
    expect(
      Object.entries(levels)
        .filter(([, l]) => l !== "mandatory")
        .map(([n]) => n)
        .sort(),
    ).toEqual(["gateway-roles-granted", "networkpolicy-declares-policy-types"]);
  });
});

describe("per-environment config files", () => {
  it.each(["dev", "staging"])("policies/config.%s.json sets the environment of every environment-aware rule", (env) => {
    const config = JSON.parse(readFileSync(join(PROJECT_ROOT, "policies", `config.${env}.json`), "utf8"));
    const aware = policies
      .filter((p) => p.configSchema?.properties.environment)
      .map((p) => p.name)
      .sort();
    expect(Object.keys(config).sort()).toEqual(aware);
    for (const name of aware) expect(config[name].environment).toBe(env);
  });
});
