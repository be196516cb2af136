/** Every flow of every golden fixture, read in-process with the fixture's options. */
import { join } from 'node:path';
import type { Flow } from '../../src/model/flow.js';
import { readFlows } from '../../src/pipeline/run.js';
import { ROOT } from './cli.js';
import { goldenInputs } from './golden-inputs.js';

export async function goldenFlows(): Promise<Flow[]> {
  const flows: Flow[] = [];
  for (const g of goldenInputs()) {
    await readFlows([join(ROOT, g.input)], { tz: g.tz, jobs: 1, ...(g.year ? { year: g.year } : {}) }, (f) => flows.push({ ...f }));
  }
  return flows;
}
