#!/usr/bin/env node
/**
 * Writes the schema extracts that test/ecs-output.test.ts and test/ocsf-output.test.ts check fwaudit's
 * ECS and OCSF output against (fixtures/schemas/*.json), from clones of the published schemas:
 *
 *   node scripts/extract-schema-fixtures.mjs ECS_CLONE OCSF_CLONE
 *
 * - ECS: `generated/ecs/ecs_flat.yml` of github.com/elastic/ecs at tag v8.17.0: for every field fwaudit
 *   writes, its type, level, normalize, allowed values (with the event types expected per category) and
 *   expected values.
 * - OCSF: github.com/ocsf/ocsf-schema at tag 1.4.0: class Network Activity (4001) resolved through
 *   `extends` (network, base_event) and `$include` (activities; profiles kept apart: their attributes
 *   apply only with the profile), the dictionary types and enums of its attributes, and the objects fwaudit
 *   fills (attributes, requirements, enums), each resolved through its own `extends`.
 * Only git and Node are needed (the clones are read with `git show TAG:path`).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const YAML = createRequire(join(ROOT, 'package.json'))('yaml');
const [ecsDir, ocsfDir] = process.argv.slice(2);
if (!ecsDir || !ocsfDir) { console.error('usage: node scripts/extract-schema-fixtures.mjs ECS_CLONE OCSF_CLONE'); process.exit(2); }
const git = (dir, ...a) => execFileSync('git', ['-C', dir, ...a], { encoding: 'utf8', maxBuffer: 64 << 20 });

// ---- ECS ----
const ECS_TAG = 'v8.17.0';
const ECS_FIELDS = [
  '@timestamp', 'ecs.version', 'event.kind', 'event.category', 'event.type', 'event.action', 'event.outcome', 'event.reason',
  'source.ip', 'source.port', 'destination.ip', 'destination.port', 'destination.domain',
  'network.transport', 'network.direction', 'network.application', 'network.bytes', 'network.packets', 'network.community_id', 'network.iana_number',
  'observer.hostname', 'rule.name', 'process.name', 'url.original', 'url.domain', 'log.file.path',
];
const flat = YAML.parse(git(ecsDir, 'show', `${ECS_TAG}:generated/ecs/ecs_flat.yml`));
const ecs = {
  $source: `github.com/elastic/ecs ${ECS_TAG} (${git(ecsDir, 'rev-parse', `${ECS_TAG}^{commit}`).trim()}) generated/ecs/ecs_flat.yml, fields that fwaudit writes; made by scripts/extract-schema-fixtures.mjs`,
  version: git(ecsDir, 'show', `${ECS_TAG}:version`).trim(),
  fields: {},
};
for (const name of ECS_FIELDS) {
  const d = flat[name];
  if (!d) throw new Error(`ECS ${ECS_TAG} has no field ${name}`);
  const o = { type: d.type, level: d.level, normalize: d.normalize ?? [] };
  if (d.allowed_values) o.allowed_values = d.allowed_values.map((v) => (v.expected_event_types ? { name: v.name, expected_event_types: v.expected_event_types } : { name: v.name }));
  if (d.expected_values) o.expected_values = d.expected_values;
  ecs.fields[name] = o;
}
writeFileSync(join(ROOT, 'fixtures/schemas/ecs-8.17.0-fields.json'), JSON.stringify(ecs, null, 1) + '\n');

// ---- OCSF ----
const OCSF_TAG = '1.4.0';
const show = (p) => JSON.parse(git(ocsfDir, 'show', `${OCSF_TAG}:${p}`));
const dictionary = show('dictionary.json').attributes;
const merge = (into, attrs) => {
  for (const [k, v] of Object.entries(attrs ?? {})) if (k !== '$include') into[k] = { ...(into[k] ?? {}), ...v };
};
function resolveEvent(path) {
  const c = show(path);
  const out = {};
  if (c.extends) {
    const parent = c.extends === 'base_event' ? 'events/base_event.json' : `${path.slice(0, path.lastIndexOf('/'))}/${c.extends}.json`;
    Object.assign(out, resolveEvent(parent));
  }
  for (const inc of c.attributes?.$include ?? []) if (!inc.startsWith('profiles/')) merge(out, show(inc).attributes);
  merge(out, c.attributes);
  return out;
}
const cls = show('events/network/network_activity.json');
const classAttrs = resolveEvent('events/network/network_activity.json');
const categories = show('categories.json').attributes;
const clsCategory = cls.category ?? show('events/network/network.json').category;
const catUid = categories[clsCategory].uid;
const attrOut = {};
for (const [k, v] of Object.entries(classAttrs)) {
  const d = dictionary[k] ?? {};
  const o = { requirement: v.requirement, type: d.type };
  const e = v.enum || d.enum ? { ...(d.enum ?? {}), ...(v.enum ?? {}) } : null;
  if (e) o.enum = Object.fromEntries(Object.entries(e).map(([id, x]) => [id, x.caption]));
  if (d.sibling) o.sibling = d.sibling;
  attrOut[k] = o;
}
const profileAttrs = {};
for (const p of ['profiles/security_control.json', 'profiles/host.json']) {
  const prof = show(p);
  const attrs = {};
  for (const [k, v] of Object.entries(prof.attributes ?? {})) {
    if (k === '$include') continue;
    const d = dictionary[k] ?? {};
    const o = { requirement: v.requirement, type: d.type };
    const e = v.enum || d.enum ? { ...(d.enum ?? {}), ...(v.enum ?? {}) } : null;
    if (e) o.enum = Object.fromEntries(Object.entries(e).map(([id, x]) => [id, x.caption]));
    if (d.sibling) o.sibling = d.sibling;
    if (d.is_array) o.is_array = true;
    attrs[k] = o;
  }
  profileAttrs[prof.name] = attrs;
}
function resolveObject(name) {
  const o = show(`objects/${name}.json`);
  const out = {};
  if (o.extends && o.extends !== 'object') Object.assign(out, resolveObject(o.extends));
  for (const inc of o.attributes?.$include ?? []) if (!inc.startsWith('profiles/')) merge(out, show(inc).attributes);
  merge(out, o.attributes);
  return out;
}
const OBJECTS = ['network_endpoint', 'network_connection_info', 'network_traffic', 'firewall_rule', 'metadata', 'product', 'url', 'device'];
const objects = {};
for (const name of OBJECTS) {
  const attrs = resolveObject(name);
  const res = {};
  for (const [k, v] of Object.entries(attrs)) {
    const d = dictionary[k] ?? {};
    const r = { requirement: v.requirement, type: d.type, object_type: d.object_type };
    const e = v.enum || d.enum ? { ...(d.enum ?? {}), ...(v.enum ?? {}) } : null;
    if (e) r.enum = Object.fromEntries(Object.entries(e).map(([id, x]) => [id, x.caption]));
    if (d.sibling) r.sibling = d.sibling;
    if (d.is_array) r.is_array = true;
    res[k] = r;
  }
  objects[name] = res;
}
const ocsf = {
  $source: `github.com/ocsf/ocsf-schema ${OCSF_TAG} (${git(ocsfDir, 'rev-parse', `${OCSF_TAG}^{commit}`).trim()}): events/network/network_activity.json resolved through network.json, base_event.json and their includes, dictionary.json, categories.json, objects/*.json; made by scripts/extract-schema-fixtures.mjs`,
  version: OCSF_TAG,
  class: { name: cls.name, caption: cls.caption, uid: catUid * 1000 + cls.uid, category_uid: catUid, category_caption: categories[clsCategory].caption },
  attributes: attrOut,
  profiles: profileAttrs,
  objects,
};
writeFileSync(join(ROOT, 'fixtures/schemas/ocsf-1.4.0-network-activity.json'), JSON.stringify(ocsf, null, 1) + '\n');
console.log('wrote fixtures/schemas/ecs-8.17.0-fields.json and fixtures/schemas/ocsf-1.4.0-network-activity.json');
