// npm run lint: ESLint (typescript-eslint's recommended rules, and the
// project's boundaries) and Prettier (formatting, checked, not argued about).
// ESLint + Prettier rather than Biome: typescript-eslint's rules and
// no-restricted-imports are what keep the library's boundaries below, and
// both are what TypeScript contributors already know.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "out/", "node_modules/", "policies/node_modules/", "policies/contract/", ".scratch/", "**/*.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {
      globals: {
        console: "readonly",
        process: "readonly",
        require: "readonly",
        module: "readonly",
        __dirname: "readonly",
        Buffer: "readonly",
        URL: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        fetch: "readonly",
        AbortSignal: "readonly",
        structuredClone: "readonly",
        performance: "readonly",
        document: "readonly",
      },
    },
    rules: {
      // `_`-prefixed names are deliberately unused (positional parameters, rest omissions).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    // Tests, scripts and policy rules read untyped documents (rendered JSON and YAML, resource inputs as the
    // engine hands them): `any` is their honest type. Tests also require() on purpose (the package's CommonJS face).
    files: ["test/**/*.{ts,cjs}", "scripts/**/*.ts", "policies/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off", "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // The library (what the package ships) depends on nothing of the program, the scripts, the tests or the pack.
    files: ["components/**/*.ts", "index.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/program/*", "**/scripts/*", "**/test/*", "**/policies/*"],
              message:
                "components/ is the library: it must not import the program, scripts, tests or the policy pack (shared names live in components/contract/).",
            },
          ],
        },
      ],
    },
  },
  {
    // The policy pack is published on its own: nothing outside policies/.
    files: ["policies/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["../../*"], message: "policies/ stands alone: import only from within it (its contract/ is a generated copy)." }] },
      ],
    },
  },
);
