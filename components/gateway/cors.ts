import { corsOrigins, type AccessSpec, type HttpMethod } from "../access-spec";

/**
 * CORS for the browser clients' origins. Preflight requests are answered by
 * the gateway without a token; credentials (cookies) are not allowed: browser
 * clients send bearer tokens.
 */
export function renderCorsConf(spec: AccessSpec, methods: HttpMethod[]) {
  return {
    allow_origins: corsOrigins(spec).join(","),
    allow_methods: [...methods, "OPTIONS"].join(","),
    allow_headers: "Authorization,Content-Type",
    allow_credential: false,
    max_age: 600,
  };
}
