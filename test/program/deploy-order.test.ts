/**
 * What a first `pulumi up` on a fresh cluster and realm needs, checked on the
 * resources the real program registers (no CLI can run it here): every
 * resource waits for what it names, and every duration is one the Keycloak
 * provider parses. Dev, prod, and dev with sessions of a day or more.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { resourcesWaitForWhatTheyName } from "../../policies/rules/order-rules";
import type { StackResource } from "../../policies/rules";
import { parseGoDuration } from "../../components/access-spec";
import { runPolicies } from "../support/policy-harness";
import { loadRecordedStack } from "../support/recorded-stacks";

const DAY_LONG = { realm: { tokens: { ssoSessionIdleTimeout: "1d", ssoSessionMaxLifespan: "7d" } } };
const stacks: Record<string, StackResource[]> = {};
beforeAll(async () => {
  [stacks.dev, stacks.prod, stacks["dev, day-long sessions"]] = await Promise.all([
    loadRecordedStack("dev"),
    loadRecordedStack("prod"),
    loadRecordedStack("dev", DAY_LONG),
  ]);
}, 120_000);

const byType = (s: StackResource[], suffix: string) => s.filter((r) => r.type.endsWith(suffix));
const waits = (r: StackResource, on: StackResource) => (r.dependsOn ?? []).includes(on.urn);

describe.each(["dev", "prod", "dev, day-long sessions"])("%s stack", (name) => {
  it("passes resources-wait-for-what-they-name", async () => {
    expect(await runPolicies([resourcesWaitForWhatTheyName], stacks[name])).toEqual([]);
  });

  it("every namespaced object waits for its Namespace when the stack creates it", () => {
    const s = stacks[name];
    const namespaces = byType(s, ":Namespace");
    expect(namespaces.length).toBeGreaterThan(0);
    let checked = 0;
    for (const r of s.filter((x) => x.type.startsWith("kubernetes:") && x.props.metadata?.namespace)) {
      const ns = namespaces.find((n) => n.props.metadata.name === r.props.metadata.namespace);
      if (!ns) continue;
      expect(waits(r, ns), `${r.name} waits for ${ns.name}`).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
  });

  it("the audience mapper waits for the client it names; users wait for the user profile", () => {
    const s = stacks[name];
    const mapper = byType(s, ":AudienceProtocolMapper")[0];
    expect(
      waits(
        mapper,
        byType(s, ":Client").find((c) => c.props.clientId === mapper.props.includedClientAudience)!,
      ),
    ).toBe(true);
    const profile = byType(s, ":RealmUserProfile")[0];
    for (const u of byType(s, "user:User")) expect(waits(u, profile), u.name).toBe(true);
  });

  it("hands the Keycloak provider only Go-parseable realm durations", () => {
    const realm = byType(stacks[name], ":Realm")[0].props;
    for (const f of ["accessTokenLifespan", "ssoSessionIdleTimeout", "ssoSessionMaxLifespan"])
      expect(parseGoDuration(realm[f]), `${f} = ${realm[f]}`).toBeDefined();
  });
});

it("day-long sessions are written in hours", () => {
  const realm = byType(stacks["dev, day-long sessions"], ":Realm")[0].props;
  expect([realm.ssoSessionIdleTimeout, realm.ssoSessionMaxLifespan]).toEqual(["24h", "168h"]);
});
