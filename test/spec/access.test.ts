import { describe, expect, it } from "vitest";
import { methodAccess, routeMatches, routesOverlap } from "../../components/spec";
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
});

describe("method access", () => {
  const s = spec();
  const [protectedRoute, publicRoute] = s.services[0].routes;

  it("grants the roles of the rule that lists the method", () => {
    expect(methodAccess(protectedRoute, "GET")).toEqual({ kind: "roles", roles: ["admin", "viewer"] });
  });

  it("denies a method no rule lists (deny by default)", () => {
    expect(methodAccess(protectedRoute, "PUT")).toEqual({ kind: "denied" });
  });

  it("a public route is public for its methods only", () => {
    expect(methodAccess(publicRoute, "GET")).toEqual({ kind: "public" });
    expect(methodAccess(publicRoute, "POST")).toEqual({ kind: "denied" });
  });
});
