import { describe, expect, it } from "vitest";
import { gatewayDrain, renderApisixUpstreams, renderGatewayFiles, renderGatewayManifests } from "../../components/gateway";
import { parseAccessSpec, SpecValidationError } from "../../components/access-spec";
import { rawSpec, spec } from "../fixtures/raw-spec";

const problemsOf = (raw: unknown) => {
  try {
    parseAccessSpec(raw as any);
    return [];
  } catch (e) {
    return (e as SpecValidationError).problems;
  }
};

describe("per-service upstream timeouts (services[].timeouts)", () => {
  it("default to 5 s connect, 30 s send and read, and reach the upstream with no retries", () => {
    for (const u of renderApisixUpstreams(spec())) {
      expect(u.timeout).toEqual({ connect: 5, send: 30, read: 30 });
      expect(u.retries).toBe(0);
    }
  });

  it("are each service's own: one slow service does not lengthen another's", () => {
    const raw = rawSpec();
    raw.services[0].timeouts = { readSeconds: 120 };
    const upstreams = renderApisixUpstreams(parseAccessSpec(raw));
    expect(upstreams[0].timeout).toEqual({ connect: 5, send: 30, read: 120 });
    for (const u of upstreams.slice(1)) expect(u.timeout.read).toBe(30);
  });

  it("size the pod's grace period: preStop, then the longest request any service lets run, then nginx's own stop", () => {
    const raw = rawSpec();
    raw.services[0].timeouts = { connectSeconds: 2, sendSeconds: 10, readSeconds: 300 };
    const s = parseAccessSpec(raw);
    expect(gatewayDrain(s)).toEqual({ preStopSeconds: 10, terminationGracePeriodSeconds: 10 + 312 + 5 });
    const deployment = renderGatewayManifests(s, { files: renderGatewayFiles(s) }).find((m) => m.kind === "Deployment") as any;
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBe(327);
    expect(gatewayDrain(spec()).terminationGracePeriodSeconds).toBe(10 + 65 + 5);
  });

  // Careless values: zero, negative, fractional, strings, over the bound, unknown keys, a non-object.
  const bad: Array<[string, unknown, RegExp]> = [
    ["connectSeconds", 0, /services\[0\]\.timeouts\.connectSeconds/],
    ["connectSeconds", 61, /services\[0\]\.timeouts\.connectSeconds/],
    ["sendSeconds", -1, /services\[0\]\.timeouts\.sendSeconds/],
    ["readSeconds", 1.5, /services\[0\]\.timeouts\.readSeconds/],
    ["readSeconds", "30s", /services\[0\]\.timeouts\.readSeconds/],
    ["readSeconds", 601, /services\[0\]\.timeouts\.readSeconds/],
    ["read", 30, /services\[0\]\.timeouts\.read: unknown field \(did you mean "readSeconds"\?\)/],
  ];
  it.each(bad)("refuse %s: %j, naming the field", (field, value, message) => {
    const raw = rawSpec();
    raw.services[0].timeouts = { [field]: value };
    const problems = problemsOf(raw);
    expect(problems).toHaveLength(1);
    expect(`${problems[0].path}: ${problems[0].message}`).toMatch(message);
  });

  it("refuse a non-object", () => {
    const raw = rawSpec();
    raw.services[0].timeouts = 30;
    expect(problemsOf(raw).map((p) => p.path)).toEqual(["services[0].timeouts"]);
  });
});
