/** The integration suite's own spec and what it renders, checked without containers. */
import { describe, expect, it } from "vitest";
import { PROJECT_PLUGINS, renderApisixRules } from "../../components/gateway";
import { appOfRoute } from "../../components/access-spec";
import { integrationSpec, impostorSpec, PORTAL_URL } from "./support/spec";
import { objectProblems, pluginProblems } from "../support/apisix-schemas";

describe("the integration spec", () => {
  const spec = integrationSpec();

  it("is a valid access spec, and so is the impostor's", () => {
    expect(spec.services.map((s) => s.name)).toEqual(["echo", "impostor"]);
    expect(impostorSpec().realm.name).toBe("impostor");
  });

  it("routes the portal through a browser session on the gateway's network alias", () => {
    expect(spec.apps[0]).toMatchObject({ url: PORTAL_URL, host: "gateway", pathPrefix: "/portal", accessTokenLifespan: 60 });
    expect(appOfRoute(spec, { path: "/portal/api/*" })?.name).toBe("portal");
  });

  it("renders routes APISIX 3.18 accepts", () => {
    const rules = renderApisixRules(spec);
    for (const r of rules.routes) {
      expect(objectProblems("route", r), r.id).toBe("");
      for (const [name, conf] of Object.entries(r.plugins ?? {}))
        if (!(PROJECT_PLUGINS as readonly string[]).includes(name)) expect(pluginProblems(name, conf), `${r.id} ${name}`).toBe("");
    }
  });
});
