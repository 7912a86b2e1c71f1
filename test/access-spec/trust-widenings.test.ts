/**
 * Settings that switch a protection off or extend trust to every peer:
 * refused in prod with their path and why, said as warnings elsewhere.
 */
import { problemsIn } from "../support/spec-problems";
import { describe, expect, it } from "vitest";
import { deploymentWarnings, parseAccessSpec } from "../../components/access-spec";
import { rawSpec } from "../fixtures/raw-spec";

const WIDENINGS: Array<[string, (r: any) => void, RegExp]> = [
  ["gateway.trustedProxies[0]", (r) => (r.gateway.trustedProxies = ["0.0.0.0/0"]), /trusts X-Forwarded-For from \(nearly\) every peer/],
  ["gateway.trustedProxies[1]", (r) => (r.gateway.trustedProxies = ["10.0.0.0/8", "0.0.0.0/1"]), /"0\.0\.0\.0\/1" trusts X-Forwarded-For/],
  [
    "gateway.rateLimits.store.whenUnavailable",
    (r) =>
      (r.gateway.rateLimits = {
        store: {
          type: "redis",
          address: "redis.x.svc:6379",
          namespace: "x",
          podSelector: { app: "redis" },
          passwordSecret: { name: "s", key: "k" },
          whenUnavailable: "allow",
        },
      }),
    /fails open/,
  ],
  ["network.allowSameNamespace", (r) => (r.network = { allowSameNamespace: true }), /without the gateway/],
  ["services[0].forwardBearerToken", (r) => (r.services[0].forwardBearerToken = true), /replay at the gateway/],
  ["services[0].allowMethodOverride", (r) => (r.services[0].allowMethodOverride = true), /another method/],
];

const problems = problemsIn;

describe("settings that widen trust", () => {
  it.each(WIDENINGS)("%s: refused in prod, with why", (path, widen, why) => {
    const raw = rawSpec();
    widen(raw);
    const found = problems(raw).filter((p) => p.path === path);
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(why);
    expect(found[0].message).toMatch(/refused in prod/);
  });

  it.each(WIDENINGS)("%s: allowed in staging and dev, with a warning naming it", (path, widen, why) => {
    for (const environment of ["staging", "dev"]) {
      const raw = rawSpec();
      raw.environment = environment;
      widen(raw);
      const warnings = deploymentWarnings(parseAccessSpec(raw)).filter((w) => w.startsWith(`${path}:`));
      expect(warnings, environment).toHaveLength(1);
      expect(warnings[0]).toMatch(why);
    }
  });

  it("all at once are reported together, and the example prod stack has none", () => {
    const raw = rawSpec();
    for (const [, widen] of WIDENINGS.filter(([p]) => p !== "gateway.trustedProxies[1]")) widen(raw);
    expect(problems(raw).filter((p) => /refused in prod/.test(p.message))).toHaveLength(WIDENINGS.length - 1);
    expect(problems(rawSpec())).toEqual([]);
    expect(deploymentWarnings(parseAccessSpec(rawSpec())).filter((w) => /refused in prod/.test(w))).toEqual([]);
  });

  it("keeps the sentinel that trusts no proxy (0.0.0.0/32) and narrow blocks", () => {
    const raw = rawSpec();
    raw.gateway.trustedProxies = ["0.0.0.0/32", "10.0.0.0/8", "192.168.1.7"];
    expect(problems(raw)).toEqual([]);
  });
});
