import { describe, expect, it } from "vitest";
import { methodAccess, overlappingPathPairs, routeMatches, routesOverlap } from "../../components/access-spec";
import { spec } from "../fixtures/raw-spec";

describe("route paths", () => {
  it("a prefix route matches below its prefix, not the bare prefix or a sibling", () => {
    expect(routeMatches("/api/orders/*", "/api/orders/1")).toBe(true);
    expect(routeMatches("/api/orders/*", "/api/orders")).toBe(false);
    expect(routeMatches("/api/orders/*", "/api/orders-admin/1")).toBe(false);
    expect(routeMatches("/api/orders", "/api/orders")).toBe(true);
  });

  it("overlap is symmetric and covers nested prefixes", () => {
    expect(routesOverlap("/api/*", "/api/orders/*")).toBe(true);
    expect(routesOverlap("/api/orders/*", "/api/*")).toBe(true);
    expect(routesOverlap("/api/orders/*", "/api/orders/7")).toBe(true);
    expect(routesOverlap("/api/orders/*", "/api/ordersx/*")).toBe(false);
    expect(routesOverlap("/a", "/b")).toBe(false);
  });

  it("a {tenant} segment matches any one non-empty segment, nothing more", () => {
    expect(routeMatches("/api/tenants/{tenant}/orders/*", "/api/tenants/acme/orders/1")).toBe(true);
    expect(routeMatches("/api/tenants/{tenant}/orders/*", "/api/tenants//orders/1")).toBe(false);
    expect(routeMatches("/api/tenants/{tenant}/orders/*", "/api/tenants/acme/x/orders/1")).toBe(false);
    expect(routeMatches("/api/tenants/{tenant}", "/api/tenants/acme")).toBe(true);
    expect(routeMatches("/api/tenants/{tenant}", "/api/tenants/acme/1")).toBe(false);
  });
});

describe("method access", () => {
  const s = spec();
  const [protectedRoute, publicRoute] = s.services[0].routes;

  it("grants the roles of the rule that lists the method", () => {
    expect(methodAccess(protectedRoute, "GET")).toEqual({ kind: "roles", roles: ["admin", "viewer"], scopes: [] });
  });

  it("denies a method no rule lists (deny by default)", () => {
    expect(methodAccess(protectedRoute, "PUT")).toEqual({ kind: "denied" });
  });

  it("a public route is public for its methods only", () => {
    expect(methodAccess(publicRoute, "GET")).toEqual({ kind: "public" });
    expect(methodAccess(publicRoute, "POST")).toEqual({ kind: "denied" });
  });
});

describe("overlappingPathPairs", () => {
  it("with {tenant} segments: finds exactly the pairs some request path matches both of (generated, against enumerated requests)", () => {
    let seed = 11;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const segments = ["api", "t", "{tenant}", "x"];
    const alphabet = ["api", "t", "x", "other"];
    const requests: string[] = [];
    const grow = (prefix: string, depth: number) => {
      if (depth === 0) return;
      for (const s of alphabet) {
        requests.push(`${prefix}/${s}`);
        grow(`${prefix}/${s}`, depth - 1);
      }
    };
    grow("", 4);
    for (let round = 0; round < 30; round++) {
      const paths = [
        ...new Set(
          Array.from({ length: 2 + rnd(8) }, () => {
            const parts = Array.from({ length: 1 + rnd(3) }, () => segments[rnd(segments.length)]);
            const path = `/${parts.join("/")}${rnd(2) ? "/*" : ""}`;
            return path.split("{tenant}").length > 2 ? path.replace("{tenant}", "t") : path;
          }),
        ),
      ];
      const witnessed: Array<[number, number]> = [];
      paths.forEach((a, i) =>
        paths.slice(i + 1).forEach((b, k) => requests.some((r) => routeMatches(a, r) && routeMatches(b, r)) && witnessed.push([i, i + 1 + k])),
      );
      expect(overlappingPathPairs(paths), paths.join(" ")).toEqual(witnessed);
    }
  });

  it("finds exactly the pairs a comparison of every pair finds (generated path sets)", () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const segments = ["api", "orders", "o", "ord", "v1", "x"];
    for (let round = 0; round < 50; round++) {
      const paths = Array.from({ length: 2 + rnd(12) }, () => {
        const parts = Array.from({ length: 1 + rnd(3) }, () => segments[rnd(segments.length)]);
        return rnd(8) === 0 ? "/*" : `/${parts.join("/")}${rnd(2) ? "/*" : ""}`;
      });
      const brute: Array<[number, number]> = [];
      paths.forEach((a, i) => paths.slice(i + 1).forEach((b, k) => routesOverlap(a, b) && brute.push([i, i + 1 + k])));
      expect(overlappingPathPairs(paths), paths.join(" ")).toEqual(brute);
    }
  });
});
