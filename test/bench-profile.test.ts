/**
 * The bench's profile summary (scripts/bench-profile.ts): self time per stage of the design, with Node's runtime
 * and native frames counted for the stage of the code that called them.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readProfiles, stageOf } from '../scripts/bench-profile.js';

const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({ id, callFrame: { functionName, url, lineNumber: 0 }, children });

describe('bench profile stages', () => {
  it('names the stage of a frame from its folder', () => {
    expect(stageOf('body', 'file:///x/dist/parsers/iptables.js')).toBe('parsers');
    expect(stageOf('validateFlow', 'file:///x/dist/src/model/flow.js')).toBe('addresses+validation');
    expect(stageOf('classify', 'file:///x/dist/src/requirements/index.js')).toBe('matching');
    expect(stageOf('pushBytes', 'file:///x/dist/src/pipeline/framing.js')).toBe('read/framing');
    expect(stageOf('(garbage collector)', '')).toBe('GC');
    expect(stageOf('(idle)', '')).toBe('idle');
    expect(stageOf('compileSourceTextModule', 'node:internal/modules/esm/utils')).toBe('start-up');
    expect(stageOf('read', '')).toBe('runtime');
  });

  it('sums self time per stage and counts native frames for their caller, main thread first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fwaudit-prof-'));
    // root -> readLoop (pipeline) -> read (native); root -> body (parsers); GC; idle
    const nodes = [
      frame(1, '(root)', '', [2, 4, 5, 6]), frame(2, 'readLoop', 'file:///p/dist/src/pipeline/run.js', [3]), frame(3, 'read', ''),
      frame(4, 'body', 'file:///p/dist/parsers/iptables.js'), frame(5, '(garbage collector)', ''), frame(6, '(idle)', ''),
    ];
    const profile = { nodes, samples: [3, 3, 4, 4, 4, 5, 6, 2], timeDeltas: [1000, 1000, 2000, 2000, 2000, 500, 9000, 250], startTime: 0, endTime: 1 };
    writeFileSync(join(dir, 'CPU.20261201.050000.123.2.002.cpuprofile'), JSON.stringify(profile));
    writeFileSync(join(dir, 'CPU.20261201.050000.123.0.001.cpuprofile'), JSON.stringify({ ...profile, samples: [4], timeDeltas: [7000] }));
    const [main, worker] = readProfiles(dir);
    expect(main!.thread).toBe('main');
    expect(main!.stages.get('parsers')).toBe(7);
    expect(worker!.thread).toBe('worker 2');
    expect(worker!.stages.get('read/framing')).toBe(2.25);
    expect(worker!.stages.get('parsers')).toBe(6);
    expect(worker!.stages.get('GC')).toBe(0.5);
    expect(worker!.stages.get('idle')).toBe(9);
    expect(worker!.stages.get('runtime')).toBeUndefined();
    expect(worker!.totalMs).toBe(17.75);
  });
});
