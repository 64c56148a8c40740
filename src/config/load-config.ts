import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigInvalid } from '../errors.js';
import { defaultConfig } from './defaults.js';
import { configSchema, type SafetynetConfig } from './schema.js';

export interface LoadedConfig {
  config: Readonly<SafetynetConfig>;
  /** sha256 of the effective config, recorded with every run so a result can be traced to its rules */
  version: string;
  source: string;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Objects merge key by key; arrays and scalars from the override replace the default. */
function deepMerge(base: Json, override: Json): Json {
  if (isPlainObject(base) && isPlainObject(override)) {
    const out: { [k: string]: Json } = { ...base };
    for (const [k, v] of Object.entries(override)) out[k] = k in base ? deepMerge(base[k]!, v) : v;
    return out;
  }
  return override;
}

function isPlainObject(v: Json): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepFreeze<T>(o: T): Readonly<T> {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** Parses a partial config over the defaults; lists every problem at once. */
export function parseConfig(override: unknown, source = override === undefined ? 'defaults' : 'override'): LoadedConfig {
  const merged = override === undefined ? defaultConfig : deepMerge(defaultConfig as unknown as Json, override as Json);
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    throw new ConfigInvalid(
      source,
      result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`),
    );
  }
  // the version traces a list to its rules: how and when files are fetched, who may read which
  // street, how long raw data is kept and when a month is refused are not part of it
  const { operation: _operation, access: _access, privacy: _privacy, ingest: _ingest, ...rules } = result.data;
  const canonical = JSON.stringify(rules);
  return {
    config: deepFreeze(result.data),
    version: createHash('sha256').update(canonical).digest('hex').slice(0, 16),
    source,
  };
}

export function loadConfig(path: string | undefined): LoadedConfig {
  if (!path) return parseConfig(undefined);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigInvalid(path, [`cannot read the file: ${(cause as Error).message}`]);
  }
  let json: unknown;
  try {
    // Notepad and Excel save UTF-8 with a byte-order mark, which JSON.parse refuses
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (cause) {
    throw new ConfigInvalid(path, [`not valid JSON: ${(cause as Error).message}`]);
  }
  return parseConfig(json, path);
}
