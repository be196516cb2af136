import { it } from 'vitest';
import { readFileSync } from 'node:fs';
import { panos } from '../parsers/panos/index.js';
import { parseText } from './helpers/parse-text.js';
it('scratch', () => {
  const r = parseText(panos, readFileSync('../shared/corpus/panos/wazuh__wazuh__ruleset-testing-tests-paloalto.ini','utf8'), {tz:'UTC'});
  console.log(r.detection, r.flows.length, JSON.stringify(r.skips));
});
