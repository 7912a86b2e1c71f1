import { describe, expect, it } from "vitest";
import { renderKeyGuardConf } from "../../components/gateway";
import { parseAccessSpec, SpecValidationError } from "../../components/access-spec";
import { rawSpec, spec } from "../fixtures/raw-spec";

describe("the outage policy (gateway.keysStaleIfUnreachableSeconds)", () => {
  it("keeps the last keys 300 s past their refresh by default, and hands the bound to the key guard", () => {
    expect(spec().gateway.keysStaleIfUnreachableSeconds).toBe(300);
    expect(renderKeyGuardConf(spec(), { discoveryUrl: "http://kc/d", issuerUrl: "http://kc/realms/r" }).keys_stale_if_unreachable).toBe(300);
    const strict = rawSpec();
    strict.gateway.keysStaleIfUnreachableSeconds = 0;
    expect(renderKeyGuardConf(parseAccessSpec(strict), { discoveryUrl: "http://kc/d", issuerUrl: "http://kc/realms/r" }).keys_stale_if_unreachable).toBe(0);
  });

  it("refuses a bound over an hour, or a negative one, naming the field", () => {
    for (const bad of [3601, -1, "5m"]) {
      const raw = rawSpec();
      raw.gateway.keysStaleIfUnreachableSeconds = bad;
      try {
        parseAccessSpec(raw);
        throw new Error(`accepted ${bad}`);
      } catch (e) {
        expect((e as SpecValidationError).problems.map((p) => p.path)).toEqual(["gateway.keysStaleIfUnreachableSeconds"]);
      }
    }
  });
});
