/**
 * The README's "Using the components from another stack" and
 * docs/other-languages.md show only what the tests run: each code block is taken verbatim from a file the package tests
 * exercise, and the install command names the packed tarball and every peer
 * dependency the package declares.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "..", "..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

function section(title: string): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf(`## ${title}\n`);
  expect(start, title).toBeGreaterThanOrEqual(0);
  const next = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, next < 0 ? undefined : next);
}

/** Fenced blocks with the HTML comment right above them, if any. */
function blocks(text: string): { note?: string; lang: string; body: string }[] {
  return [...text.matchAll(/(?:<!-- ([^\n]*?) -->\n)?```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ note: m[1], lang: m[2], body: m[3] }));
}

describe("README: using the components from another stack (and docs/other-languages.md)", () => {
  const all = [...blocks(section("Using the components from another stack")), ...blocks(readFileSync(join(ROOT, "docs", "other-languages.md"), "utf8"))];

  it("takes every code snippet verbatim from a tested file", () => {
    const code = all.filter((b) => b.lang !== "sh");
    expect(code.length).toBeGreaterThanOrEqual(2);
    for (const block of code) {
      const source = /^snippet: (\S+)$/.exec(block.note ?? "")?.[1];
      expect(source, `a ${block.lang} block without a "snippet:" source`).toBeDefined();
      expect(readFileSync(join(ROOT, source!), "utf8"), source).toContain(block.body);
    }
  });

  it("installs the packed tarball with every peer dependency the package declares", () => {
    const install = all.find((b) => b.lang === "sh" && b.body.includes("npm install"));
    expect(install?.body).toContain(`${pkg.name}-${pkg.version}.tgz`);
    for (const peer of Object.keys(pkg.peerDependencies)) expect(install?.body, peer).toMatch(new RegExp(`\\s${peer.replace("/", "\\/")}(\\s|$)`));
  });
});
