/** JSON Schema validation of fwaudit's JSON outputs against the files in schemas/ (ajv, draft-07). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv';
import { ROOT } from './cli.js';

const Ajv = (AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule;
const ajv = new (Ajv as unknown as new (o: object) => {
  addSchema(s: object): void;
  getSchema(id: string): ((d: unknown) => boolean) & { errors?: unknown } | undefined;
})({ allErrors: true, strict: false });

const BASE = 'https://fwaudit.invalid/schemas/';
for (const f of readdirSync(join(ROOT, 'schemas')).filter((n) => n.endsWith('.schema.json'))) {
  ajv.addSchema(JSON.parse(readFileSync(join(ROOT, 'schemas', f), 'utf8')) as object);
}

/** Errors of `doc` against schemas/<name>.schema.json (empty when valid). */
export function schemaErrors(name: string, doc: unknown): unknown[] {
  const validate = ajv.getSchema(`${BASE}${name}.schema.json`);
  if (!validate) throw new Error(`no schema ${name}`);
  return validate(doc) ? [] : (validate.errors as unknown[]);
}
