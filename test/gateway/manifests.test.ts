import { describe, expect, it } from "vitest";
import { CONFIG_CHECKSUM_ANNOTATION, renderGatewayFiles, renderGatewayManifests } from "../../components/gateway";
import type { Manifest } from "../../components/kubernetes";
import { GATEWAY_POD_LABELS } from "../../components/access-spec";
import { spec } from "../fixtures/raw-spec";
import { validateManifest } from "../support/kubernetes-schemas";

const s = spec();
const files = renderGatewayFiles(s);
const manifests = renderGatewayManifests(s, { files });
const ofKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const deployment = ofKind("Deployment")[0] as any;
const podSpec = deployment.spec.template.spec;
const apisix = podSpec.containers[0];

describe("gateway manifests", () => {
  it("drain a stopping pod: a preStop sleep while its endpoint removal propagates, then a grace period covering the longest request (upstream connect + send + read)", () => {
    expect(apisix.lifecycle).toEqual({ preStop: { exec: { command: ["sleep", "10"] } } });
    const upstream = (files["apisix.yaml"].match(/timeout:\s*\n\s*connect: (\d+)\s*\n\s*send: (\d+)\s*\n\s*read: (\d+)/) ?? []).slice(1).map(Number);
    expect(upstream).toHaveLength(3);
    expect(podSpec.terminationGracePeriodSeconds).toBeGreaterThan(10 + upstream.reduce((a: number, b: number) => a + b, 0));
  });

  it("are the expected kinds, and every one validates against the Kubernetes schema", () => {
    expect(manifests.map((m) => m.kind)).toEqual(["Namespace", "ServiceAccount", "ConfigMap", "ConfigMap", "Deployment", "Service", "PodDisruptionBudget"]);
    for (const m of manifests) expect(() => validateManifest(m), `${m.kind}/${m.metadata.name}`).not.toThrow();
  });

  it("the schema check is live: a broken Deployment is refused", () => {
    const broken = structuredClone(deployment) as Manifest & any;
    broken.spec.template.spec.containers[0].ports[0].containerPort = "http";
    expect(() => validateManifest(broken)).toThrow(/containerPort/);
  });

  it("run APISIX 3.18.0 as non-root, read-only root filesystem, no privilege escalation, all capabilities dropped", () => {
    expect(apisix.image).toBe("apache/apisix:3.18.0-debian");
    expect(podSpec.securityContext.runAsNonRoot).toBe(true);
    for (const c of [...podSpec.containers, ...podSpec.initContainers]) {
      expect(c.securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
      });
    }
    expect(podSpec.automountServiceAccountToken).toBe(false);
  });

  it("set resource requests and limits", () => {
    expect(apisix.resources).toEqual({ requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } });
  });

  it("are ready only when every worker has loaded the config (status API)", () => {
    expect(apisix.readinessProbe.httpGet).toEqual({ path: "/status/ready", port: "status" });
    expect(apisix.ports.find((p: any) => p.name === "status").containerPort).toBe(7085);
  });

  it("roll the pods when the config changes (checksum on the pod template)", () => {
    const checksum = deployment.spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION];
    expect(checksum).toMatch(/^[0-9a-f]{64}$/);
    const changed = renderGatewayManifests(
      spec((r) => r.realm.roles.push({ name: "auditor" })),
      { files: renderGatewayFiles(spec((r) => r.realm.roles.push({ name: "auditor" }))) },
    );
    const other = (changed.find((m) => m.kind === "Deployment") as any).spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION];
    expect(other).not.toBe(checksum);
    expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxUnavailable: 0, maxSurge: 1 });
  });

  it("put the rules and the plugin in ConfigMaps, and no secret material in any ConfigMap", () => {
    const [config, plugins] = ofKind("ConfigMap") as any[];
    expect(Object.keys(config.data).sort()).toEqual(["apisix.yaml", "config.yaml"]);
    expect(Object.keys(plugins.data)).toEqual([
      "gateway-identity.lua",
      "gateway-key-guard.lua",
      "gateway-decisions.lua",
      "gateway-request-guard.lua",
      "gateway-auth-helpers.lua",
      "gateway-auth-verified-tokens.lua",
    ]);
    // The rules: no secret material, not even a secret's name next to a value. The plugins are code that
    // names settings (a session's secret, read from the environment): they must hold no secret value.
    expect(JSON.stringify(config.data)).not.toMatch(/PRIVATE KEY|client_secret|mock-client-secret|session.*secret/i);
    for (const cm of ofKind("ConfigMap") as any[]) {
      const text = JSON.stringify(cm.data);
      expect(text).not.toMatch(/PRIVATE KEY|mock-client-secret|native-tier-session-secret/i);
    }
  });

  it("select the gateway pods by the labels NetworkPolicies admit: this instance's only", () => {
    const own = { ...GATEWAY_POD_LABELS, "app.kubernetes.io/instance": "apisix" };
    expect(deployment.spec.selector.matchLabels).toEqual(own);
    expect(ofKind("Service")[0].spec).toMatchObject({ selector: own });
    expect(deployment.spec.template.metadata.labels).toMatchObject(own);
  });

  it("keep all but one replica through voluntary disruptions", () => {
    expect((ofKind("PodDisruptionBudget")[0] as any).spec.minAvailable).toBe(s.gateway.replicas - 1);
  });
});
