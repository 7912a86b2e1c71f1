/**
 * The gateway pods' resources: CPU and memory quantities kept apart, a request
 * never above its limit (Kubernetes would refuse the Deployment at `pulumi up`,
 * after other resources were created), and the CPU limit setting nginx's
 * worker count (its `auto` counts the node's CPUs, not the pod's share).
 */
import { describe, expect, it } from "vitest";
import { workersFor } from "../../components/access-spec";
import { renderGatewayFiles } from "../../components/gateway";
import { parse } from "yaml";
import { spec } from "../fixtures/raw-spec";
import { problemsOf } from "../support/spec-problems";

const withResources = (resources: Record<string, string>) => (raw: any) => (raw.gateway = { ...(raw.gateway ?? {}), resources });

describe("gateway.resources", () => {
  it.each([
    [{ cpuLimit: "256Mi" }, 'gateway.resources.cpuLimit: "256Mi" is not a CPU quantity'],
    [{ cpuRequest: "1Gi" }, 'gateway.resources.cpuRequest: "1Gi" is not a CPU quantity'],
    [{ memoryLimit: "512m" }, 'gateway.resources.memoryLimit: "512m" is not a memory quantity'],
    [{ memoryRequest: "0.5Gi" }, 'gateway.resources.memoryRequest: "0.5Gi" is not a memory quantity'],
    [{ memoryLimit: "0" }, 'gateway.resources.memoryLimit: "0" is not a memory quantity'],
    [{ cpuRequest: "2", cpuLimit: "1" }, "gateway.resources.cpuRequest: 2 is more than cpuLimit 1: Kubernetes refuses a request above its limit"],
    [{ cpuRequest: "1500m", cpuLimit: "1" }, "gateway.resources.cpuRequest: 1500m is more than cpuLimit 1"],
    [{ memoryRequest: "1Gi", memoryLimit: "512Mi" }, "gateway.resources.memoryRequest: 1Gi is more than memoryLimit 512Mi"],
    [{ memoryRequest: "600M" }, "gateway.resources.memoryRequest: 600M is more than memoryLimit 512Mi"],
  ])("refuses %j", (resources, expected) => {
    expect(problemsOf(withResources(resources)).join("\n")).toContain(expected);
  });

  it("accepts a request equal to its limit, and units that compare across notations", () => {
    expect(() => spec(withResources({ cpuRequest: "1000m", cpuLimit: "1", memoryRequest: "512Mi", memoryLimit: "536870912" }))).not.toThrow();
  });

  it("sets the gateway's nginx workers to the whole cores its CPU limit allows, at least one", () => {
    expect(["250m", "1", "1500m", "2", "0.5", "3.001"].map(workersFor)).toEqual([1, 1, 2, 2, 1, 4]);
    for (const [cpuLimit, workers] of [
      ["1", 1],
      ["2", 2],
      ["2500m", 3],
    ] as const) {
      const config = parse(renderGatewayFiles(spec(withResources({ cpuRequest: "250m", cpuLimit })))["config.yaml"]);
      expect(config.nginx_config.worker_processes, cpuLimit).toBe(workers);
    }
  });
});
