/**
 * Built-in rulesets compiled at build time (issue 14 item 7): the JSON the build writes holds exactly what
 * parsing and validating the YAML gives, with paths relative to the package.
 */
import { describe, expect, it } from 'vitest';
import { compileBuiltinRulesets, builtinRulesetFiles, loadRuleset, packageRoot } from '../src/rulesets/load.js';
import path from 'node:path';

describe('compiled built-in rulesets', () => {
  it('hold the validated YAML data, each source with its size and mtime', () => {
    const c = JSON.parse(compileBuiltinRulesets()) as { version: number; sources: Array<{ file: string; size: number }>; rulesets: Array<{ id: string; file: string }> };
    const files = builtinRulesetFiles();
    expect(c.version).toBe(1);
    expect(c.sources.map((s) => s.file)).toEqual(files.map((f) => path.relative(packageRoot(), f)));
    const fromYaml = files.map((f) => loadRuleset(f));
    expect(c.rulesets).toEqual(fromYaml.map((r) => ({ ...r, file: path.relative(packageRoot(), r.file) })));
    expect(c.rulesets.map((r) => r.id)).toEqual(['escan', 'finjan-vsos', 'gfi-languard', 'groundlabs-er']);
  });
});
