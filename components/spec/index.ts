export * from "./types";
export * from "./access";
export * from "./names";
export { parseAccessSpec } from "./load";
export { readStackSettings, rawSpecFromConfig, STACK_CONFIG_KEYS, StackSettings, KeycloakAdminSettings } from "./config";
export { SpecValidationError, SpecProblem } from "./reader";
export { RawAccessSpec, SPEC_CONFIG_KEYS } from "./parse";
export { ENVIRONMENT_DEFAULTS, EnvironmentDefaults } from "./defaults";
export { parseDuration, formatDuration, parseGoDuration, formatGoDuration } from "./durations";
