/**
 * The library: every component, the access-spec parser and the pure
 * renderers, for other stacks. Importing it has no side effects: nothing is
 * read from stack config and no resource is registered until you construct
 * one. The deployable program of this repository is `program/index.ts`.
 */
export * from "./components";
