// Build step (issue 14 item 7): validate the built-in rulesets once and store them as JSON, so that no run
// parses and validates the YAML again. A broken ruleset fails the build with its file:line message.
// loadBuiltinRulesets() uses the JSON only while the YAML files keep the size and mtime recorded here.
import { writeFileSync } from 'node:fs';
const { compileBuiltinRulesets, compiledRulesetsPath } = await import('../dist/src/rulesets/load.js');
try {
  writeFileSync(compiledRulesetsPath(), compileBuiltinRulesets());
} catch (e) {
  console.error(`built-in rulesets: ${e && e.toString ? e.toString() : e}`);
  process.exit(1);
}
