import { beforeAll, describe, expect, it } from "vitest";
import { runStackUnderMocks } from "../../scripts/lib/run-stack";
import type { ResourceRecorder } from "../../scripts/lib/mock-stack";

let rec: ResourceRecorder;
beforeAll(async () => {
  ({ recorder: rec } = await runStackUnderMocks("dev"));
});

describe("dev stack identity", () => {
  it("seeds the users the stack declares, each in its groups", () => {
    const users = rec.ofType("keycloak:index/user:User").map((u) => u.inputs.username).sort();
    expect(users).toEqual(["alice", "carol", "sam"]);
    expect(rec.ofType("keycloak:index/userGroups:UserGroups")).toHaveLength(3);
  });

  it("is less strict than prod only where the stack says so", () => {
    const realm = rec.one("keycloak:index/realm:Realm", "identity-realm").inputs;
    expect(realm.sslRequired).toBe("external");
    expect(realm.accessTokenLifespan).toBe("15m");
  });
});
