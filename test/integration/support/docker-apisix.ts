/**
 * The gateway tier on the official image (apache/apisix:3.18.0-debian), for
 * machines with Docker. Host networking: the container sees the same
 * loopback world as a native gateway (identity provider, echo upstreams), so
 * the only difference between the two runtimes is APISIX-Runtime itself.
 * (Not run on the machine this was written on: it has no container runtime.)
 */
import { GenericContainer, getContainerRuntimeClient, ImageName } from "testcontainers";
import { PLUGIN_ROOT } from "../../../components/gateway";
import { IMAGES } from "./environment";
import { adaptForTestHost, answersUnauthenticated, pickGatewayPorts, waitFor, type GatewayLaunch, type RunningGateway } from "./gateway-runtime";

const APISIX_CONF = "/usr/local/apisix/conf";

export async function dockerGatewayRuntime(): Promise<{ ready: boolean; reason?: string }> {
  try {
    const client = await getContainerRuntimeClient();
    const image = ImageName.fromString(IMAGES.apisix);
    if (!(await client.image.exists(image))) await client.image.pull(image);
    return { ready: true };
  } catch (e) {
    return { ready: false, reason: (e as Error).message.split("\n")[0] };
  }
}

export async function startDockerGateway(launch: GatewayLaunch): Promise<RunningGateway> {
  const ports = await pickGatewayPorts();
  const decisionLogPath = "/usr/local/apisix/logs/decisions.log";
  const files = adaptForTestHost(launch.files, ports, launch.nodes, decisionLogPath);
  const container = await new GenericContainer(IMAGES.apisix)
    .withNetworkMode("host")
    .withEnvironment({ APISIX_STAND_ALONE: "true", ...launch.env })
    .withCopyContentToContainer([
      { content: files["config.yaml"], target: `${APISIX_CONF}/config.yaml` },
      { content: files["apisix.yaml"], target: `${APISIX_CONF}/apisix.yaml` },
      ...Object.entries(files)
        .filter(([n]) => n.startsWith("plugins/"))
        .map(([n, content]) => ({ content, target: `${PLUGIN_ROOT}/apisix/${n}` })),
      ...Object.entries(launch.mounts).map(([target, content]) => ({ content, target, mode: target.endsWith(".key") ? 0o444 : 0o644 })),
    ])
    .start();
  const http = { host: "127.0.0.1", port: ports.http };
  const readLog = (path: string) => async () => (await container.exec(["sh", "-c", `cat ${path} 2>/dev/null`])).output;
  const errorLog = readLog("/usr/local/apisix/logs/error.log");
  try {
    await waitFor(`APISIX container to answer 401 on ${launch.readyPath}`, 120_000, () => answersUnauthenticated(http, launch.readyPath, launch.readyHost));
  } catch (e) {
    await container.stop().catch(() => undefined);
    throw e;
  }
  return {
    runtime: "docker",
    http,
    https: { host: "127.0.0.1", port: ports.https },
    errorLog,
    decisionLog: readLog(decisionLogPath),
    metrics: () => fetch(`http://127.0.0.1:${ports.metrics}/apisix/prometheus/metrics`).then((r) => r.text()),
    stop: async () => void (await container.stop()),
  };
}
