import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderApisixRules } from "../../components/gateway";
import { toApisixYaml } from "../../components/gateway/yaml";
import { parseAccessSpec } from "../../components/access-spec";
import { integrationRawSpec } from "../integration/support/spec";
import { spec } from "../fixtures/raw-spec";

/** YAML 1.1 (APISIX's lyaml) and 1.2 read the same data back. */
const both = (text: string) => [parse(text, { version: "1.1" }), parse(text, { version: "1.2" })];

describe("toApisixYaml", () => {
  it("writes the rendered rules so both YAML versions read back exactly the same data", () => {
    for (const s of [spec(), parseAccessSpec(integrationRawSpec("http://127.0.0.1:1"))]) {
      const rules = JSON.parse(JSON.stringify(renderApisixRules(s)));
      for (const back of both(toApisixYaml(rules))) expect(back).toEqual(rules);
    }
  });

  it("quotes every string YAML 1.1 would read as something else, and keeps odd keys and empty collections", () => {
    const tricky = [
      "on",
      "OFF",
      "yes",
      "n",
      "Null",
      "~",
      "1e3",
      "0x1F",
      "12",
      "-1",
      ".5",
      "$env://X",
      "*alias",
      "&a",
      "a: b",
      "a #c",
      "",
      " lead",
      "trail ",
      "multi\nline",
      "tab\there",
      "é",
      "[x]",
      "{x}",
      "%x",
      "@x",
      "!x",
      "|",
      ">",
      "'q'",
      '"q"',
      "-",
      "?",
      "2026-12-06",
    ];
    const data = { list: tricky, keys: Object.fromEntries(tricky.map((k, i) => [k, i])), empty: [], none: {}, nested: [{ a: [] }, [1, [2]], null, true, 0] };
    for (const back of both(toApisixYaml(data as never))) expect(back).toEqual(data);
  });
});
