import { GenericContainer, Network, Wait, type StartedNetwork, type StartedTestContainer } from "testcontainers";
import { BROWSER_SESSIONS, GATEWAY_UPSTREAM_TLS, appClientSecretEnv, type AccessSpec } from "../../../components/access-spec";
import { TRUSTED_CA_BUNDLE, renderGatewayFiles } from "../../../components/gateway";
import { withTwoWorkers } from "./gateway-runtime";
import { IMAGES } from "./environment";
import { provision, type Provisioned } from "./provision";
import { ALIASES, impostorSpec, integrationSpec } from "./spec";
import type { KeycloakAccess } from "./tokens";

export interface Topology {
  spec: AccessSpec;
  network: StartedNetwork;
  keycloak: StartedTestContainer;
  gateway: StartedTestContainer;
  echo: StartedTestContainer;
  impostor: StartedTestContainer;
  provisioned: Provisioned;
  kc: KeycloakAccess;
  /** Where the test host reaches the gateway's http port. */
  gatewayAddress: { host: string; port: number };
  stop(): Promise<void>;
}

const MINUTES = 60_000;

async function startKeycloak(network: StartedNetwork): Promise<StartedTestContainer> {
  return new GenericContainer(IMAGES.keycloak)
    .withNetwork(network)
    .withNetworkAliases(ALIASES.keycloak)
    .withExposedPorts(8080, 9000)
    .withEnvironment({
      KC_BOOTSTRAP_ADMIN_USERNAME: "admin",
      KC_BOOTSTRAP_ADMIN_PASSWORD: "admin",
      KC_HEALTH_ENABLED: "true",
      // One issuer whether a token is fetched through the mapped port or validated inside the network.
      KC_HOSTNAME: `http://${ALIASES.keycloak}:8080`,
      KC_HOSTNAME_BACKCHANNEL_DYNAMIC: "true",
      JAVA_OPTS_KC_HEAP: "-XX:MaxRAMPercentage=50",
    })
    .withCommand(["start-dev"])
    .withWaitStrategy(Wait.forHttp("/health/ready", 9000).forStatusCode(200))
    .withStartupTimeout(4 * MINUTES)
    .start();
}

/** traefik/whoami serving TLS and requiring a client certificate signed by `caPem`. */
async function startUpstream(network: StartedNetwork, alias: string, cert: { certPem: string; keyPem: string }, caPem: string): Promise<StartedTestContainer> {
  return new GenericContainer(IMAGES.whoami)
    .withNetwork(network)
    .withNetworkAliases(alias)
    .withExposedPorts(8443)
    .withCopyContentToContainer([
      { content: cert.certPem, target: "/certs/tls.crt" },
      { content: cert.keyPem, target: "/certs/tls.key" },
      { content: caPem, target: "/certs/ca.crt" },
    ])
    .withCommand(["--port", "8443", "--cert", "/certs/tls.crt", "--key", "/certs/tls.key", "--cacert", "/certs/ca.crt"])
    .withWaitStrategy(Wait.forLogMessage(/Starting up/))
    .start();
}

export async function startGateway(network: StartedNetwork, spec: AccessSpec, p: Provisioned): Promise<StartedTestContainer> {
  const files = withTwoWorkers(renderGatewayFiles(spec));
  const protectedPath = spec.services[0].routes.find((r) => !r.public && !r.path.startsWith("/portal"))!.path.replace("*", "probe");
  return (
    new GenericContainer(IMAGES.apisix)
      .withNetwork(network)
      .withNetworkAliases(ALIASES.gateway)
      .withExposedPorts(9080, 9443)
      .withEnvironment({
        APISIX_STAND_ALONE: "true",
        // Browser sessions: one session secret for the gateway, each app's client secret.
        [BROWSER_SESSIONS.sessionSecretEnv]: "e2e-session-secret-0123456789abcdef",
        ...Object.fromEntries(spec.apps.map((a) => [appClientSecretEnv(a.name), p.appClientSecrets[a.name]])),
      })
      .withCopyContentToContainer([
        { content: files["config.yaml"], target: "/usr/local/apisix/conf/config.yaml" },
        { content: files["apisix.yaml"], target: "/usr/local/apisix/conf/apisix.yaml" },
        ...Object.entries(files)
          .filter(([n]) => n.startsWith("plugins/"))
          .map(([n, content]) => ({ content, target: `/opt/apisix-plugins/apisix/${n}` })),
        // What the init container builds in the cluster: the mTLS CA bundle.
        { content: p.caCertPem, target: TRUSTED_CA_BUNDLE },
        // As the Deployment mounts the Secret: the gateway's client certificate and key as files nginx reads.
        { content: p.gateway.certPem, target: GATEWAY_UPSTREAM_TLS.certFile },
        { content: p.gateway.keyPem, target: GATEWAY_UPSTREAM_TLS.keyFile, mode: 0o400 },
      ])
      // A 401 without a token proves rules and plugins loaded, before Keycloak is ever asked.
      .withWaitStrategy(Wait.forHttp(protectedPath, 9080).forStatusCode(401))
      .withStartupTimeout(2 * MINUTES)
      .start()
  );
}

/** Keycloak, the realm provisioned by this project, the mTLS upstreams and APISIX, on one network. */
export async function startTopology(): Promise<Topology> {
  const spec = integrationSpec();
  const network = await new Network().start();
  const started: StartedTestContainer[] = [];
  try {
    const keycloak = await startKeycloak(network);
    started.push(keycloak);
    const kcBase = `http://${keycloak.getHost()}:${keycloak.getMappedPort(8080)}`;
    const { out: provisioned } = await provision(spec, impostorSpec(), kcBase);
    const echo = await startUpstream(network, ALIASES.echo, provisioned.echo, provisioned.caCertPem);
    started.push(echo);
    // Right DNS name, certificate from another CA: the gateway must refuse it.
    const impostor = await startUpstream(network, ALIASES.impostor, provisioned.impostor, provisioned.caCertPem);
    started.push(impostor);
    const gateway = await startGateway(network, spec, provisioned);
    started.push(gateway);
    return {
      spec,
      network,
      keycloak,
      gateway,
      echo,
      impostor,
      provisioned,
      kc: { baseUrl: kcBase, realm: spec.realm.name },
      gatewayAddress: { host: gateway.getHost(), port: gateway.getMappedPort(9080) },
      async stop() {
        for (const c of started.reverse()) await c.stop();
        await network.stop();
      },
    };
  } catch (e) {
    for (const c of started.reverse()) await c.stop().catch(() => undefined);
    await network.stop().catch(() => undefined);
    throw e;
  }
}
