import { beforeAll, describe, expect, it } from "vitest";
import { KeycloakIdentity } from "../../components/identity";
import { parseAccessSpec } from "../../components/access-spec";
import type { ResourceRecorder } from "../../scripts/lib/mock-stack";
import { devRawSpec } from "../fixtures/raw-spec";
import { build, useRecorder } from "../support/mocks";

const REALM = "keycloak:index/realm:Realm";
let rec: ResourceRecorder;

beforeAll(async () => {
  rec = await useRecorder();
  await build(rec, () => {
    new KeycloakIdentity("id", { spec: parseAccessSpec(devRawSpec()) });
    new KeycloakIdentity("scratch", {
      spec: parseAccessSpec({ ...devRawSpec(), realm: { ...(devRawSpec().realm as object), name: "scratch" } }),
      protectRealm: false,
    });
  });
});

describe("realm protection", () => {
  it("protects the realm: a rename of the component or a mistaken delete cannot drop it and every user in it", () => {
    expect(rec.one(REALM, "id-realm").protect).toBe(true);
    // Only the realm: clients, roles and mappers can be replaced as the spec changes.
    expect(rec.resources.filter((r) => r.protect && r.name.startsWith("id-")).map((r) => r.name)).toEqual(["id-realm"]);
  });

  it("a throwaway realm can opt out, by name", () => {
    expect(rec.one(REALM, "scratch-realm").protect).toBe(false);
  });
});
