// JSON Schema validation of a topology file (schemas/topology.schema.json, shipped for editors),
// and of each node's `config` block against its kind's configSchema. Ajv's errors become located
// diagnostics with the wording a user needs.

import { projectPath } from '../../engine/util/paths.ts';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { didYouMean } from './diagnostics.ts';
import type { JsonPath } from './diagnostics.ts';

export const topologySchemaPath = projectPath('schemas', 'topology.schema.json');

let ajv: Ajv | undefined;
let topologyValidator: ValidateFunction | undefined;
const kindValidators = new Map<string, ValidateFunction>();

function getAjv(): Ajv {
  // verbose: errors carry their parent schema, which lists the keys a misspelt key could have meant.
  ajv ??= new Ajv({ allErrors: true, verbose: true, strict: false, allowUnionTypes: true });
  return ajv;
}

export function topologySchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(topologySchemaPath, 'utf8')) as Record<string, unknown>;
}

/** A problem found by a schema, located by a path into the validated value. */
export interface SchemaIssue {
  path: JsonPath;
  message: string;
  /** Unknown keys point at the key, the rest at the value. */
  at: 'key' | 'value';
}

export function validateTopologyShape(data: unknown): SchemaIssue[] {
  topologyValidator ??= getAjv().compile(topologySchema());
  return topologyValidator(data) ? [] : toIssues(topologyValidator.errors ?? [], data, topologyValidator.schema as object);
}

export function validateKindConfig(kind: string, schema: object, config: unknown): SchemaIssue[] {
  let v = kindValidators.get(kind);
  if (!v) {
    v = getAjv().compile(schema);
    kindValidators.set(kind, v);
  }
  return v(config) ? [] : toIssues(v.errors ?? [], config, schema);
}

function pointerToPath(pointer: string, data: unknown): (string | number)[] {
  if (!pointer) return [];
  const out: (string | number)[] = [];
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      out.push(Number(seg));
      cur = cur[Number(seg)];
    } else {
      out.push(seg);
      cur = (cur as Record<string, unknown> | undefined)?.[seg];
    }
  }
  return out;
}

function describeType(v: unknown): string {
  if (v === null) return 'nothing (null)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

const typeNames: Record<string, string> = {
  object: 'a map', array: 'a list', string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', null: 'nothing',
};

function typeList(t: unknown): string {
  const list = (Array.isArray(t) ? t : [t]).map((x) => typeNames[String(x)] ?? String(x));
  return list.length > 1 ? `${list.slice(0, -1).join(', ')} or ${list.at(-1)}` : list[0]!;
}

/**
 * anyOf branches whose type does not fit the value only add noise ("must be string", "must be
 * object", "must match a schema in anyOf"). When some branch fits the value's type, keep only what
 * that branch said; when none does, say "expected X or Y" once.
 */
function pruneAnyOf(errors: ErrorObject[], root: object): ErrorObject[] {
  let out = errors;
  for (const any of errors.filter((e) => e.keyword === 'anyOf')) {
    const branches = Array.isArray(any.schema) ? (any.schema as object[]) : [];
    const declared = branches.map((b) => declaredTypes(b, root));
    const actual = jsonType(any.data);
    const fits = declared.filter((types) => !types || types.includes(actual) || (actual === 'integer' && types.includes('number')));
    const at = (e: ErrorObject) => e.instancePath === any.instancePath;
    const under = (e: ErrorObject) => at(e) || e.instancePath.startsWith(`${any.instancePath}/`);
    if (fits.length) {
      out = out.filter((e) => e !== any && !(at(e) && e.keyword === 'type'));
    } else {
      out = out.filter((e) => !under(e));
      out.push({ ...any, keyword: 'type', params: { type: [...new Set(declared.flat())] } });
    }
  }
  return out;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** The JSON types a schema accepts (following a local $ref), or undefined when it does not say. */
function declaredTypes(schema: object, root: object): string[] | undefined {
  let s = schema as { type?: string | string[]; $ref?: string };
  for (let i = 0; i < 5 && s.$ref?.startsWith('#/'); i++) {
    const target = s.$ref.slice(2).split('/').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], root);
    s = (target ?? {}) as typeof s;
  }
  return s.type === undefined ? undefined : Array.isArray(s.type) ? s.type : [s.type];
}

function toIssues(errors: ErrorObject[], data: unknown, root: object): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  for (const e of pruneAnyOf(errors, root)) {
    const path = pointerToPath(e.instancePath, data);
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = String(p['additionalProperty']);
        const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
        issues.push({ path: [...path, key], at: 'key', message: `unknown key "${key}"${didYouMean(key, known)}` });
        break;
      }
      case 'required':
        issues.push({ path, at: 'value', message: `missing required key "${String(p['missingProperty'])}"` });
        break;
      case 'type':
        issues.push({ path, at: 'value', message: `expected ${typeList(p['type'])}, got ${describeType(e.data)}` });
        break;
      case 'enum':
        issues.push({ path, at: 'value', message: `expected one of ${(p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${describeType(e.data)}` });
        break;
      case 'minItems':
      case 'maxItems':
        issues.push({ path, at: 'value', message: path.at(-1) === 'endpoints'
          ? `a link has exactly 2 endpoints, got ${(e.data as unknown[]).length}`
          : `${e.message ?? 'wrong number of items'}, got ${(e.data as unknown[]).length}` });
        break;
      case 'pattern':
        issues.push({ path, at: 'value', message: path.at(-1) === 'name'
          ? `${JSON.stringify(e.data)} is not a valid name: use letters, digits, '.', '_' and '-', starting with a letter or digit`
          : `${JSON.stringify(e.data)} does not have the expected form (${String(p['pattern'])})` });
        break;
      case 'const':
        issues.push({ path, at: 'value', message: `expected ${JSON.stringify(p['allowedValue'])}, got ${describeType(e.data)}` });
        break;
      default:
        issues.push({ path, at: 'value', message: `${e.message ?? e.keyword}${e.data !== undefined && typeof e.data !== 'object' ? ` (got ${JSON.stringify(e.data)})` : ''}` });
    }
  }
  return issues;
}
