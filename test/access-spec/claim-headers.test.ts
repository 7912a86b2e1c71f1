/**
 * A claim header (gateway.claimHeaders) carries a value whoever controls the
 * claim chose: a user's own profile field, often. Mapped onto a header that
 * proxies and frameworks act on, it would let them choose the method or path a
 * service runs after the gateway authorized another, or the client address it
 * logs and limits. Every such header is refused, however it is spelt.
 */
import { describe, expect, it } from "vitest";
import { isInfrastructureHeader } from "../../components/access-spec";
import { spec } from "../fixtures/raw-spec";
import { problemsOf } from "../support/spec-problems";

const mapped = (header: string) => (raw: any) => (raw.gateway = { ...(raw.gateway ?? {}), claimHeaders: [{ claim: "nickname", header }] });

/** The headers, and the ways a careless (or clever) spec writes them. */
const infrastructure = [
  "X-Forwarded-For",
  "X-Forwarded-Host",
  "X-Forwarded-Proto",
  "X-Forwarded-Prefix",
  "X-Forwarded-Port",
  "X-Real-IP",
  "X-Client-IP",
  "X-Original-URL",
  "X-Original-URI",
  "X-Original-Method",
  "X-Rewrite-URL",
  "X-HTTP-Method-Override",
  "X-HTTP-Method",
  "X-Method-Override",
  "X-Request-ID",
];
const spellings = (h: string) => [h, h.toLowerCase().replace(/^x/, "X"), h.toUpperCase(), h.replace(/-(\w)/g, (_, c: string) => `-${c.toLowerCase()}`)];

describe("gateway.claimHeaders", () => {
  it.each(infrastructure.flatMap(spellings))("refuses %s, with its path and why", (header) => {
    expect(problemsOf(mapped(header)).join("\n")).toMatch(
      /^gateway\.claimHeaders\[0\]\.header: ".*" tells services which client, host, path or method a request had/,
    );
  });

  it("recognises exactly those: a header of the claim's own is accepted", () => {
    for (const header of ["X-User-Email", "X-Forward", "X-Originator", "X-Org-ID", "X-Http-Client"]) {
      expect(isInfrastructureHeader(header), header).toBe(false);
      expect(() => spec(mapped(header))).not.toThrow();
    }
  });
});
