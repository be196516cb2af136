/**
 * Workers started early (src/pipeline/pool.ts startWorkersEarly / EarlyWorkers): analyze starts its workers before it
 * loads the rulesets and inventory; the pool takes them and sends their data as their first message. Same result as
 * one thread; workers the pool does not take are terminated; a worker that fails before or after it is taken is
 * replaced; a failure while loading (a bad inventory) still settles with its error and leaves no worker behind.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze, analyzeJson } from '../src/app/analyze.js';
import { EarlyWorkers, startWorkersEarly, type PoolStats, type PoolTuning } from '../src/pipeline/pool.js';
import { readFlows, type ReadOptions } from '../src/pipeline/run.js';
import { Matcher } from '../src/matcher/matcher.js';
import { resolveRulesets } from '../src/rulesets/load.js';
import { loadInventory } from '../src/inventory/load.js';
import { ConfigError } from '../src/model/errors.js';
import { ROOT } from './helpers/cli.js';

const INVENTORY = join(ROOT, 'fixtures/demo/inventory.yaml');
const LOG = join(ROOT, 'fixtures/demo/logs');
const tiny = (stats?: PoolStats): PoolTuning => ({ rangeBytes: 400, splitMinBytes: 0, minTotalBytes: 0, split: true, ...(stats ? { stats } : {}) });
const newStats = (): PoolStats => ({ workers: 0, wholeTasks: 0, ranges: 0, reruns: 0 });
const read: ReadOptions = { tz: 'UTC', year: 2026 };

async function analyzeText(r: ReadOptions): Promise<string> {
  return JSON.stringify(analyzeJson(await analyze({ inputs: [LOG], read: r, inventory: INVENTORY })));
}

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'fwaudit-pool-early-')); });

describe('startWorkersEarly: which reads start workers before they are planned', () => {
  it('none for one thread, a small input, stdin or a resumed read; the pool\'s count for a large one', async () => {
    expect(startWorkersEarly([LOG], { ...read, jobs: 1, poolTuning: tiny() }, 'match')).toBeNull();
    expect(startWorkersEarly([LOG], { ...read, jobs: 2 }, 'match')).toBeNull(); // the demo is far under 16 MiB
    expect(startWorkersEarly(['-'], { ...read, jobs: 2, poolTuning: tiny() }, 'match')).toBeNull();
    expect(startWorkersEarly([LOG], { ...read, jobs: 2, poolTuning: tiny(), startOffsets: new Map([[LOG, 10]]) }, 'match')).toBeNull();
    expect(startWorkersEarly([join(dir, 'missing.log')], { ...read, jobs: 2, poolTuning: { ...tiny(), minTotalBytes: 1 } }, 'match')).toBeNull();
    const w = startWorkersEarly([LOG], { ...read, jobs: 3, poolTuning: tiny() }, 'match');
    expect(w).not.toBeNull();
    expect(w!.size).toBe(3);
    await w!.release();
    expect(w!.size).toBe(0);
    expect(w!.take()).toBeNull();
  });
});

describe('analyze with workers started early', () => {
  it('gives the one-thread result; the pool took the workers it needed and the rest were terminated', async () => {
    const one = await analyzeText({ ...read, jobs: 1 });
    const st = newStats();
    const many = await analyzeText({ ...read, jobs: 2, poolTuning: tiny(st) });
    expect(many).toBe(one);
    expect(st.workers).toBe(2);
    expect(st.ranges).toBeGreaterThan(4);
  });

  it('a bad inventory: the ConfigError, and no worker left running', async () => {
    const bad = join(dir, 'bad-inventory.yaml');
    writeFileSync(bad, 'deployments:\n  - product: no-such-product\n    roles: {}\n');
    await expect(analyze({ inputs: [LOG], read: { ...read, jobs: 2, poolTuning: tiny() }, inventory: bad })).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('readFlows with EarlyWorkers', () => {
  async function matchWith(early: EarlyWorkers | null, st: PoolStats): Promise<string> {
    const rulesets = resolveRulesets([]);
    const inventory = await loadInventory(INVENTORY, rulesets);
    const matcher = new Matcher(rulesets, inventory, { tz: 'UTC' });
    const summaries = await readFlows([LOG], {
      ...read, jobs: 2, poolTuning: tiny(st), match: { wire: { rulesets, inventory, tz: 'UTC' }, into: matcher }, ...(early ? { earlyWorkers: early } : {}),
    }, (f) => matcher.observe(f));
    return JSON.stringify({ summaries, result: matcher.result() });
  }

  it('workers that run out of memory while loading or once taken are replaced: same result', async () => {
    const base = await matchWith(null, newStats());
    // an old generation of 1 MB: each of these workers fails (out of memory) before or just after it is taken
    const early = new EarlyWorkers('match', { maxOldGenerationSizeMb: 1, maxYoungGenerationSizeMb: 1 }, 2);
    const st = newStats();
    expect(await matchWith(early, st)).toBe(base);
    expect(early.size).toBe(0);
  });

  it('more workers started than the pool uses: the others are terminated when the read ends', async () => {
    const base = await matchWith(null, newStats());
    const early = new EarlyWorkers('match', { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 4 }, 4);
    const st = newStats();
    expect(await matchWith(early, st)).toBe(base);
    expect(st.workers).toBe(2);
    expect(early.size).toBe(0);
  });
});
