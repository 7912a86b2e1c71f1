/**
 * The gateway tier's world, all on this machine's loopback: the identity
 * provider playing the realm `KeycloakIdentity` would create, the mTLS echo
 * upstream and an impostor (right DNS name, another CA), and APISIX running
 * the files `renderGatewayFiles` produces, natively or in Docker.
 */
import { GATEWAY_UPSTREAM_TLS, appClientSecretEnv, BROWSER_SESSIONS, serviceHost, type AccessSpec } from "../../../components/access-spec";
import { TRUSTED_CA_BUNDLE, renderGatewayFiles } from "../../../components/gateway";
import { startDockerGateway, dockerGatewayRuntime } from "./docker-apisix";
import { startEchoUpstream, type EchoUpstream } from "./echo-upstream";
import { withTwoWorkers, type GatewayLaunch, type RunningGateway } from "./gateway-runtime";
import { RealmIdentityProvider } from "./identity-provider";
import { findNativeApisix, startNativeGateway } from "./native-apisix";
import { issuePki, type IssuedPki } from "./pki";
import { freePort } from "./ports";
import { realmModelOf } from "./realm-model";
import { ALIASES, impostorSpec, integrationRawSpec } from "./spec";
import { parseAccessSpec, type RawAccessSpec } from "../../../components/access-spec";

export type GatewayRuntimeKind = "native" | "docker";

export interface GatewayRuntimeChoice {
  kind?: GatewayRuntimeKind;
  /** Why no runtime could be used (when `kind` is absent). */
  reason?: string;
  start?: (launch: GatewayLaunch) => Promise<RunningGateway>;
}

/**
 * Which APISIX the gateway tier runs: `GATEWAY_RUNTIME=native|docker`, or the
 * native installation when there is one, else Docker. `GATEWAY_E2E=off` skips.
 */
export async function chooseGatewayRuntime(): Promise<GatewayRuntimeChoice> {
  if (process.env.GATEWAY_E2E === "off") return { reason: "disabled with GATEWAY_E2E=off" };
  const wanted = process.env.GATEWAY_RUNTIME;
  const reasons: string[] = [];
  if (!wanted || wanted === "native") {
    const native = findNativeApisix();
    if (native.home) return { kind: "native", start: (l) => startNativeGateway(native.home!, l) };
    reasons.push(`native: ${native.reason}`);
  }
  if (!wanted || wanted === "docker") {
    const docker = await dockerGatewayRuntime();
    if (docker.ready) return { kind: "docker", start: startDockerGateway };
    reasons.push(`docker: ${docker.reason}`);
  }
  return { reason: reasons.join("; ") };
}

/** A service behind the gateway: where it listens, and how to stop it. */
export interface Upstream {
  address: { host: string; port: number };
  stop(): Promise<void>;
}
type StartUpstream = (name: string, tls: { certPem: string; keyPem: string; caPem: string }) => Promise<Upstream>;

export interface GatewayTopology {
  spec: AccessSpec;
  idp: RealmIdentityProvider;
  pki: IssuedPki;
  echo: Upstream;
  impostor: EchoUpstream;
  gateway: RunningGateway;
  /** Launches another gateway on the same world (e.g. with another config.yaml, or more of the pod's environment). */
  startGateway(
    edit?: (files: Record<string, string>) => Record<string, string>,
    env?: Record<string, string>,
    options?: Pick<GatewayLaunch, "decisionLogPipe">,
  ): Promise<RunningGateway>;
  stop(): Promise<void>;
}

/** What the gateway pod gets beside its ConfigMaps, for this world. */
export function launchOf(
  spec: AccessSpec,
  idp: RealmIdentityProvider,
  pki: IssuedPki,
  upstreams: Record<string, Upstream>,
  files: Record<string, string>,
): GatewayLaunch {
  const secretOf = (clientId: string) => idp.model.clients.find((c) => c.clientId === clientId)?.secret ?? "";
  const gatewayCert = pki.issued["gateway"];
  return {
    files,
    env: {
      [BROWSER_SESSIONS.sessionSecretEnv]: "native-tier-session-secret-0123456789abcdef",
      ...Object.fromEntries(spec.apps.map((a) => [appClientSecretEnv(a.name), secretOf(a.clientId)])),
    },
    mounts: {
      [TRUSTED_CA_BUNDLE]: pki.caCertPem,
      [GATEWAY_UPSTREAM_TLS.certFile]: gatewayCert.certPem,
      [GATEWAY_UPSTREAM_TLS.keyFile]: gatewayCert.keyPem,
      [GATEWAY_UPSTREAM_TLS.caFile]: pki.caCertPem,
    },
    nodes: Object.fromEntries(spec.services.map((s) => [`${serviceHost(s)}:${s.port}`, upstreams[s.name].address])),
    readyPath: spec.services[0].routes
      .find((r) => !r.public && !spec.apps.some((a) => r.path.startsWith(a.pathPrefix)))!
      .path.replace("*", "probe")
      .replace("{tenant}", "probe"),
    readyHost: spec.gateway.hostnames[0],
  };
}

export interface TopologyOptions {
  /** What plays the echo service (the whoami-compatible echo by default; benchmarks use a static nginx). */
  service?: StartUpstream;
  /** Changes to the suite's spec before it is parsed (benchmarks: the defaults users get where the suite shortens them). */
  editSpec?: (raw: RawAccessSpec) => void;
  /** More services: added to the suite's spec, and started once the PKI exists (the fault drills). */
  more?: { edit(raw: RawAccessSpec): void; start(pki: IssuedPki): Promise<Record<string, Upstream>> };
}

export async function startGatewayTopology(start: (launch: GatewayLaunch) => Promise<RunningGateway>, options: TopologyOptions = {}): Promise<GatewayTopology> {
  const service = options.service ?? startEchoUpstream;
  const idpPort = await freePort();
  const idpUrl = `http://127.0.0.1:${idpPort}`;
  const raw = integrationRawSpec(idpUrl);
  options.editSpec?.(raw);
  options.more?.edit(raw);
  const spec = parseAccessSpec(raw);
  const model = await realmModelOf(spec);
  const idp = await RealmIdentityProvider.start(model, idpPort);
  const stops: Array<() => Promise<void>> = [() => idp.stop()];
  try {
    const pki = issuePki(spec);
    const fake = issuePki(impostorSpec(idpUrl));
    const echo = await service(ALIASES.echo, { ...pki.issued["service-shop-echo"], caPem: pki.caCertPem });
    stops.push(() => echo.stop());
    // Right DNS name, certificate from another CA; it would accept the gateway (it trusts the real CA).
    const impostor = await startEchoUpstream(ALIASES.impostor, { ...fake.issued["service-shop-impostor"], caPem: pki.caCertPem });
    stops.push(() => impostor.stop());
    const more = (await options.more?.start(pki)) ?? {};
    for (const upstream of Object.values(more)) stops.push(() => upstream.stop());
    const startGateway = async (
      edit = (f: Record<string, string>) => f,
      env: Record<string, string> = {},
      options: Pick<GatewayLaunch, "decisionLogPipe"> = {},
    ) => {
      const launch = launchOf(spec, idp, pki, { echo, impostor, ...more }, edit(withTwoWorkers(renderGatewayFiles(spec))));
      const running = await start({ ...launch, ...options, env: { ...launch.env, ...env } });
      stops.push(() => running.stop());
      return running;
    };
    const gateway = await startGateway();
    return {
      spec,
      idp,
      pki,
      echo,
      impostor,
      gateway,
      startGateway,
      async stop() {
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
      },
    };
  } catch (e) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw e;
  }
}
