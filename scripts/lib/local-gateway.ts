/**
 * A stack's gateway on this machine, for trying an access spec before
 * `pulumi up`: the real APISIX 3.18.0 (native from APISIX_HOME, else the
 * official image) running the files `renderGatewayFiles` renders for the
 * stack, an OpenID provider playing the realm the identity component would
 * create (clients, roles, groups, scopes, seed users), and an mTLS echo
 * service in place of each service. The same pieces the gateway tier runs.
 *
 * Nothing real is used: the stack's Keycloak URLs point at the local
 * provider, and every secret (client secrets, seed users' passwords, the
 * session secret) is generated for the run.
 */
import { randomBytes } from "node:crypto";
import { BROWSER_SESSIONS, parseAccessSpec, type AccessSpec, type RawAccessSpec } from "../../components/access-spec";
import { rawSpecFromConfig } from "../../program/stack-settings";
import { renderGatewayFiles } from "../../components/gateway";
import { chooseGatewayRuntime, launchOf, type Upstream } from "../../test/integration/support/gateway-topology";
import type { RunningGateway } from "../../test/integration/support/gateway-runtime";
import { startEchoUpstream } from "../../test/integration/support/echo-upstream";
import { RealmIdentityProvider } from "../../test/integration/support/identity-provider";
import { issuePki } from "../../test/integration/support/pki";
import { freePort } from "../../test/integration/support/ports";
import { realmModelOf } from "../../test/integration/support/realm-model";
import { clientCredentialsToken, TokenForge } from "../../test/integration/support/tokens";
import { loadStackConfig } from "./stack-config";

/** Why a local run cannot start, said to the user as is (no stack trace). */
export class LocalRunRefused extends Error {}

/** Both ways to get a gateway: the message when neither is here. */
export const NO_GATEWAY_RUNTIME =
  "no APISIX to run: install the native kit (../shared/native-apisix/install.sh, then APISIX_HOME=/opt/apisix-native) " +
  "or install Docker (the official apache/apisix:3.18.0-debian image is pulled)";

export interface LocalGateway {
  stack: string;
  spec: AccessSpec;
  gateway: RunningGateway;
  idp: RealmIdentityProvider;
  /** Where the gateway's decision log is written. */
  decisionLogPath?: string;
  /** A realm token for a caller as the access matrix names it (a role, or "no-role", "no-scope", ...). */
  tokenFor(caller: string): Promise<string>;
  /** A client-credentials token from the provider, for a service client. */
  clientToken(clientId: string): Promise<string>;
  /** The Host header a request to `path` carries (the stack's hostnames, or the app's host). */
  hostFor(path: string): string | undefined;
  /** How this run differs from the stack as deployed (said before anything else). */
  notes: string[];
  /** Seed users and their generated passwords (dev stacks only). */
  users: Array<{ username: string; password: string; roles: string[] }>;
  stop(): Promise<void>;
}

export interface LocalGatewayOptions {
  stack: string;
  root: string;
  /** A prod stack's spec runs only when asked (its URLs are replaced, and it runs with dev's allowances). */
  allowProdSpec?: boolean;
}

const secret = () => randomBytes(24).toString("base64url");

/** The stack's spec, pointed at the local provider and the gateway's local port. */
function localRawSpec(raw: RawAccessSpec, idpUrl: string, gatewayPort: number): RawAccessSpec {
  const r = structuredClone(raw) as Record<string, any>;
  r.keycloak = { ...(r.keycloak ?? {}), publicUrl: idpUrl, internalUrl: idpUrl };
  // The stack's Redis is not here: limits are counted in the gateway (the same limits, one budget per gateway).
  if (r.gateway?.rateLimits?.store) r.gateway = { ...r.gateway, rateLimits: { ...r.gateway.rateLimits, store: { type: "local" } } };
  // A browser signs in at the gateway's local port: the app's URL (and its redirect URIs) name it.
  r.apps = (r.apps ?? []).map((app: Record<string, any>) => {
    const url = new URL(String(app.url));
    url.protocol = "http:";
    url.port = String(gatewayPort);
    return { ...app, url: url.toString().replace(/\/$/, "") };
  });
  return r as RawAccessSpec;
}

export async function startLocalGateway(options: LocalGatewayOptions): Promise<LocalGateway> {
  const { project, config } = loadStackConfig(options.root, options.stack);
  const raw = rawSpecFromConfig((key) => config[`${project}:${key}`]);
  const declared = parseAccessSpec(raw); // the stack's own mistakes, named as `pulumi up` would name them
  if (declared.environment === "prod" && !options.allowProdSpec) {
    throw new LocalRunRefused(
      `stack ${options.stack} is a prod stack: run it locally only on purpose, with --allow-prod-spec (its URLs are replaced and it runs with dev's allowances; no secret of it is used)`,
    );
  }
  const runtime = await chooseGatewayRuntime();
  if (!runtime.start) throw new LocalRunRefused(`${NO_GATEWAY_RUNTIME} (${runtime.reason})`);

  const [idpPort, gatewayPort] = [await freePort(), await freePort()];
  const idpUrl = `http://127.0.0.1:${idpPort}`;
  const local = localRawSpec(raw, idpUrl, gatewayPort);
  if (declared.environment === "prod") (local as Record<string, unknown>).environment = "dev";
  const spec = parseAccessSpec(local);
  const notes = [`Keycloak is played by a local OpenID provider at ${idpUrl}; every secret is generated for this run`];
  if (declared.environment === "prod") notes.push("a prod spec, run with dev's allowances (plain http, local URLs)");
  if (declared.gateway.rateLimits.store.type !== "local")
    notes.push(`rate limits are counted in the gateway: the stack's ${declared.gateway.rateLimits.store.type} store is not here`);
  const model = await realmModelOf(spec);
  for (const client of model.clients) if (client.secret !== undefined) client.secret = secret();
  for (const user of model.users) user.password = secret();

  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const idp = await RealmIdentityProvider.start(model, idpPort);
    stops.push(() => idp.stop());
    const pki = issuePki(spec);
    const upstreams: Record<string, Upstream> = {};
    for (const s of spec.services) {
      upstreams[s.name] = await startEchoUpstream(s.name, { ...pki.issued[`service-${s.namespace}-${s.name}`], caPem: pki.caCertPem });
      stops.push(() => upstreams[s.name].stop());
    }
    const launch = launchOf(spec, idp, pki, upstreams, renderGatewayFiles(spec));
    const gateway = await runtime.start({
      ...launch,
      name: `local-${options.stack}`,
      ports: { http: gatewayPort },
      env: { ...launch.env, [BROWSER_SESSIONS.sessionSecretEnv]: secret() },
    });
    stops.push(() => gateway.stop());

    const forge = new TokenForge({ issuer: idp.issuer, audience: spec.clients.gateway.clientId }, idp.testKey);
    const roles = spec.realm.roles.map((r) => r.name);
    const scope = ["profile", "email", ...spec.realm.scopes.map((s) => s.name)].join(" ");
    const access = { baseUrl: idpUrl, realm: spec.realm.name };
    return {
      stack: options.stack,
      spec,
      gateway,
      idp,
      decisionLogPath: gateway.decisionLogPath,
      notes,
      // The matrix's callers (components/gateway/access-matrix.ts): a role caller holds that role and every scope.
      tokenFor: (caller) => {
        const as = { azp: "local-start", sub: `local-${caller}`, scope };
        if (caller === "no-role") return forge.valid([], as);
        if (caller === "no-scope") return forge.valid(roles, { ...as, scope: "profile email" });
        if (caller === "other-tenant") return forge.valid(roles, as);
        if (caller === "no-tenant") return forge.valid(roles, { ...as, tenant_id: undefined });
        return forge.valid([caller], as);
      },
      clientToken: (clientId) => clientCredentialsToken(access, clientId, model.clients.find((c) => c.clientId === clientId)?.secret ?? ""),
      hostFor: (path) => spec.apps.find((a) => path.startsWith(a.pathPrefix))?.host ?? spec.gateway.hostnames[0],
      users: spec.environment === "dev" ? model.users.map((u) => ({ username: u.username, password: u.password, roles: u.roles })) : [],
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
