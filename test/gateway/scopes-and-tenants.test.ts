import { describe, expect, it } from "vitest";
import { renderAccessMatrix, renderAccessMatrixMarkdown, renderApisixRoutes, IDENTITY_PLUGIN } from "../../components/gateway";
import { identityEndpoints } from "../../components/identity";
import { scopedSpec } from "../fixtures/raw-spec";

const spec = scopedSpec();
const routes = renderApisixRoutes(spec, identityEndpoints(spec));
const matrix = renderAccessMatrix(spec);
const outcome = (path: string, method: string, who: string) =>
  matrix.find((e) => e.path === path && e.method === method && (e.caller.kind === "role" ? e.caller.role : e.caller.kind) === who)!.outcome;

describe("scopes and tenant binding in the rendered routes", () => {
  it("hand each rule's scopes to the identity plugin, sorted; rules without scopes require none", () => {
    const rules = routes.filter((r) => r.id.startsWith("orders.api_orders_all.") && r.labels?.access === "protected");
    expect(rules.map((r) => (r.plugins![IDENTITY_PLUGIN] as any).required_scopes)).toEqual([[], ["orders:write"]]);
    expect(rules.every((r) => (r.plugins![IDENTITY_PLUGIN] as any).tenant_segment === undefined)).toBe(true);
  });

  it("bind the {tenant} segment's position, and match the path's shape with a vars condition on every route of that path", () => {
    const bound = routes.filter((r) => r.id.startsWith("orders.api_tenants_tenant_orders_all."));
    expect(bound.map((r) => r.id)).toEqual([
      "orders.api_tenants_tenant_orders_all.get",
      "orders.api_tenants_tenant_orders_all.preflight",
      "orders.api_tenants_tenant_orders_all.other-methods",
    ]);
    for (const r of bound) {
      expect(r.uri).toBe("/api/tenants/*");
      expect(r.vars).toEqual([["uri", "~~", "^/api/tenants/[^/]+/orders/.*$"]]);
    }
    expect((bound[0].plugins![IDENTITY_PLUGIN] as any).tenant_segment).toBe(3);
  });

  it("keep the path's shape on guards, beside their own condition", () => {
    const s = scopedSpec((raw) => {
      raw.gateway.clientCertificateHosts = [
        { host: "api.example.com", caCertificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", serverCertificateSecret: "api-tls" },
      ];
    });
    const guard = renderApisixRoutes(s, identityEndpoints(s)).find((r) => r.id === "orders.api_tenants_tenant_orders_all.client-cert0")!;
    expect(guard.vars).toEqual([
      ["uri", "~~", "^/api/tenants/[^/]+/orders/.*$"],
      ["ssl_client_verify", "~=", "SUCCESS"],
    ]);
  });
});

describe("the access matrix with scopes and tenant binding", () => {
  it("adds the columns that show them: no scope, other tenant, no tenant", () => {
    expect(renderAccessMatrixMarkdown(spec)).toContain(
      "| service | path | method | (anonymous) | (no role) | viewer | writer | admin | (no scope) | (other tenant) | (no tenant) |",
    );
    expect(renderAccessMatrixMarkdown(scopedSpec((raw) => raw.services[0].routes.pop()))).toContain("| admin | (no scope) |\n");
  });

  it("refuses a missing scope after the role check, and only where the rule requires one", () => {
    expect(outcome("/api/orders/*", "POST", "no-scope")).toEqual({ allow: false, status: 403, reason: "scope_missing" });
    expect(outcome("/api/orders/*", "POST", "writer")).toEqual({ allow: true });
    expect(outcome("/api/orders/*", "POST", "viewer")).toEqual({ allow: false, status: 403, reason: "role_missing" });
    expect(outcome("/api/orders/*", "GET", "no-scope")).toEqual({ allow: true });
  });

  it("refuses another tenant's path and a token without tenant on tenant-bound routes only", () => {
    expect(outcome("/api/tenants/{tenant}/orders/*", "GET", "viewer")).toEqual({ allow: true });
    expect(outcome("/api/tenants/{tenant}/orders/*", "GET", "other-tenant")).toEqual({ allow: false, status: 403, reason: "tenant_mismatch" });
    expect(outcome("/api/tenants/{tenant}/orders/*", "GET", "no-tenant")).toEqual({ allow: false, status: 403, reason: "tenant_missing" });
    expect(outcome("/api/tenants/{tenant}/orders/*", "GET", "no-scope")).toEqual({ allow: false, status: 403, reason: "scope_missing" });
    expect(outcome("/api/orders/*", "GET", "other-tenant")).toEqual({ allow: true });
    expect(outcome("/api/tenants/{tenant}/orders/*", "GET", "anonymous")).toEqual({ allow: false, status: 401, reason: "missing_token" });
  });
});
