/**
 * The gate every flow passes before it leaves a parser family: `guardSink` wraps the pipeline's sink
 * in each module's `create`, so no code path of a parser can emit a flow that `validateFlow` rejects.
 * A rejected flow is counted as a malformed line with the reason naming the field.
 */
import { repairFlow, validateFlow } from '../src/model/flow.js';
import type { ParseSink } from './types.js';

export function guardSink(sink: ParseSink): ParseSink {
  return {
    flow(f) {
      const note = repairFlow(f);
      if (note !== null) sink.note(note, 1);
      const bad = validateFlow(f);
      if (bad === null) sink.flow(f);
      else sink.skip(bad, f.line, 'malformed');
    },
    skip(reason, line, kind) { sink.skip(reason, line, kind); },
    note(name, n) { sink.note(name, n); },
  };
}
