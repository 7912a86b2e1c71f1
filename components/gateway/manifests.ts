import { createHash } from "node:crypto";
import type { Manifest } from "../kubernetes";
import {
  BROWSER_SESSIONS,
  GATEWAY_PORTS,
  GATEWAY_UPSTREAM_TLS,
  MANAGED_BY_LABEL,
  appClientSecretKey,
  gatewayObjectNames,
  gatewayPodLabels,
  type AccessSpec,
} from "../access-spec";
import { PLUGIN_DIR } from "./plugin";
import { gatewaySecretEnv } from "./env";
import { TRUSTED_CA_BUNDLE, hasMtlsUpstreams } from "./tls";
import { longestUpstreamRequestSeconds } from "./upstreams";

export const CONFIG_CHECKSUM_ANNOTATION = "gateway-auth/config-checksum";

/**
 * Draining a gateway pod: Kubernetes removes it from the Service's endpoints
 * and signals it at the same time, and kube-proxies and load balancers learn
 * of the removal seconds later. The pod keeps serving that long (preStop)
 * before nginx's graceful stop (the official image's stop signal, SIGQUIT),
 * which finishes every accepted request; the grace period covers the delay
 * plus the longest request the gateway lets run (its upstream timeouts).
 */
export function gatewayDrain(spec: Pick<AccessSpec, "services">): { preStopSeconds: number; terminationGracePeriodSeconds: number } {
  const preStopSeconds = 10;
  const longestRequest = Math.max(...spec.services.map(longestUpstreamRequestSeconds));
  // 5 s more: nginx's own shutdown (closing idle keep-alive connections, flushing logs).
  return { preStopSeconds, terminationGracePeriodSeconds: preStopSeconds + longestRequest + 5 };
}
const APISIX_HOME = "/usr/local/apisix";
const APISIX_UID = 636;

/** Where nginx writes at run time; each gets an emptyDir so the root filesystem can stay read-only. */
const WRITABLE_DIRS = ["logs", "client_body_temp", "proxy_temp", "fastcgi_temp", "uwsgi_temp", "scgi_temp"];

export function configChecksum(files: Record<string, string>): string {
  const hash = createHash("sha256");
  for (const name of Object.keys(files).sort()) hash.update(name).update("\0").update(files[name]).update("\0");
  return hash.digest("hex");
}

const CONTAINER_SECURITY = {
  runAsNonRoot: true,
  runAsUser: APISIX_UID,
  runAsGroup: APISIX_UID,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

export interface GatewayManifestOptions {
  /** Rendered standalone files: config.yaml, apisix.yaml, plugins/*.lua. */
  files: Record<string, string>;
}

/**
 * The CA bundle APISIX verifies upstreams with (and, being lua_ssl's bundle
 * too, Keycloak's certificate when discovery is https): the mTLS CA, plus the
 * system CAs only when Keycloak is reached over https.
 */
function trustedBundleCommand(spec: AccessSpec): string {
  if (!hasMtlsUpstreams(spec)) return "";
  const system = spec.keycloak.internalUrl.startsWith("https:") ? "/etc/ssl/certs/ca-certificates.crt " : "";
  return ` && cat ${system}${GATEWAY_UPSTREAM_TLS.caFile} > /work-conf/${TRUSTED_CA_BUNDLE.split("/").pop()}`;
}

/**
 * The gateway's Kubernetes objects. Config goes in ConfigMaps (no secrets:
 * those arrive through `env`/`volumes` from Secrets); an init container
 * copies it into a writable conf folder, because `apisix init` writes
 * nginx.conf next to it. A checksum of the files on the pod template rolls
 * the pods whenever the config changes.
 */
export function renderGatewayManifests(spec: AccessSpec, opts: GatewayManifestOptions): Manifest[] {
  const ns = spec.gateway.namespace;
  const names = gatewayObjectNames(spec.gateway.name);
  const podLabels = gatewayPodLabels(spec.gateway.name);
  const labels = { ...podLabels, ...MANAGED_BY_LABEL };
  const meta = (name: string) => ({ name, namespace: ns, labels });
  const ruleFiles = Object.fromEntries(Object.entries(opts.files).filter(([k]) => !k.startsWith("plugins/")));
  const pluginFiles = Object.fromEntries(
    Object.entries(opts.files)
      .filter(([k]) => k.startsWith("plugins/"))
      .map(([k, v]) => [k.slice("plugins/".length), v]),
  );
  const mtls = hasMtlsUpstreams(spec);
  const drain = gatewayDrain(spec);
  // The gateway's client certificate, key and CA as files nginx reads (group-readable for the pod's fsGroup only).
  const mtlsVolume = { name: "upstream-mtls", secret: { secretName: names.upstreamTlsSecret, defaultMode: 0o440 } };
  const mtlsMount = { name: "upstream-mtls", mountPath: GATEWAY_UPSTREAM_TLS.mountPath, readOnly: true };

  const volumes = [
    { name: "config", configMap: { name: names.config } },
    { name: "plugins", configMap: { name: names.plugins } },
    { name: "conf", emptyDir: {} },
    { name: "tmp", emptyDir: {} },
    ...WRITABLE_DIRS.map((d) => ({ name: d.replace(/_/g, "-"), emptyDir: {} })),
    ...(mtls ? [mtlsVolume] : []),
  ];
  const port = (name: string, containerPort: number) => ({ name, containerPort, protocol: "TCP" });

  const deployment: Manifest = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta(names.workload),
    spec: {
      replicas: spec.gateway.replicas,
      selector: { matchLabels: { ...podLabels } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels, annotations: { [CONFIG_CHECKSUM_ANNOTATION]: configChecksum(opts.files) } },
        spec: {
          serviceAccountName: names.workload,
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: drain.terminationGracePeriodSeconds,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: APISIX_UID,
            runAsGroup: APISIX_UID,
            fsGroup: APISIX_UID,
            seccompProfile: { type: "RuntimeDefault" },
          },
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { ...podLabels } } },
          ],
          initContainers: [
            {
              name: "prepare-conf",
              image: spec.gateway.image,
              command: [
                "sh",
                "-c",
                `cp -R ${APISIX_HOME}/conf/. /work-conf/ && cp /config/config.yaml /config/apisix.yaml /work-conf/${trustedBundleCommand(spec)}`,
              ],
              securityContext: CONTAINER_SECURITY,
              resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
              volumeMounts: [{ name: "conf", mountPath: "/work-conf" }, { name: "config", mountPath: "/config", readOnly: true }, ...(mtls ? [mtlsMount] : [])],
            },
          ],
          containers: [
            {
              name: "apisix",
              image: spec.gateway.image,
              ports: [
                port("http", GATEWAY_PORTS.http),
                port("https", GATEWAY_PORTS.https),
                port("status", GATEWAY_PORTS.status),
                port("metrics", GATEWAY_PORTS.metrics),
              ],
              env: gatewaySecretEnv(spec),
              readinessProbe: { httpGet: { path: "/status/ready", port: "status" }, periodSeconds: 5, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: "/status", port: "status" }, initialDelaySeconds: 10, periodSeconds: 10 },
              lifecycle: { preStop: { exec: { command: ["sleep", String(drain.preStopSeconds)] } } },
              resources: {
                requests: { cpu: spec.gateway.resources.cpuRequest, memory: spec.gateway.resources.memoryRequest },
                limits: { cpu: spec.gateway.resources.cpuLimit, memory: spec.gateway.resources.memoryLimit },
              },
              securityContext: CONTAINER_SECURITY,
              volumeMounts: [
                { name: "conf", mountPath: `${APISIX_HOME}/conf` },
                { name: "plugins", mountPath: PLUGIN_DIR, readOnly: true },
                { name: "tmp", mountPath: "/tmp" },
                ...WRITABLE_DIRS.map((d) => ({ name: d.replace(/_/g, "-"), mountPath: `${APISIX_HOME}/${d}` })),
                ...(mtls ? [mtlsMount] : []),
              ],
            },
          ],
          volumes,
        },
      },
    },
  };

  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { ...MANAGED_BY_LABEL, "pod-security.kubernetes.io/enforce": "restricted" } } },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(names.workload), automountServiceAccountToken: false },
    { apiVersion: "v1", kind: "ConfigMap", metadata: meta(names.config), data: ruleFiles },
    { apiVersion: "v1", kind: "ConfigMap", metadata: meta(names.plugins), data: pluginFiles },
    deployment,
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(names.workload),
      spec: {
        type: "ClusterIP",
        selector: { ...podLabels },
        ports: [
          { name: "http", port: 80, targetPort: "http", protocol: "TCP" },
          { name: "https", port: 443, targetPort: "https", protocol: "TCP" },
        ],
      },
    },
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: meta(names.workload),
      // One replica: allow the drain (a PDB of minAvailable 1 would block it); more: keep all but one.
      spec: {
        selector: { matchLabels: { ...podLabels } },
        ...(spec.gateway.replicas > 1 ? { minAvailable: spec.gateway.replicas - 1 } : { maxUnavailable: 1 }),
      },
    },
  ];
}

/** The browser-sessions Secret: session cookie secret and each app's client secret (values are Pulumi secrets). */
export function renderBrowserSessionSecret(spec: AccessSpec, values: { sessionSecret: unknown; appClientSecrets: Record<string, unknown> }): Manifest {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: gatewayObjectNames(spec.gateway.name).browserSessionsSecret,
      namespace: spec.gateway.namespace,
      labels: { ...gatewayPodLabels(spec.gateway.name), ...MANAGED_BY_LABEL },
    },
    type: "Opaque",
    stringData: {
      [BROWSER_SESSIONS.sessionSecretKey]: values.sessionSecret,
      ...Object.fromEntries(spec.apps.map((a) => [appClientSecretKey(a.name), values.appClientSecrets[a.name]])),
    },
  };
}
