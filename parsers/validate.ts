/**
 * The gate every flow passes before it leaves a parser family: `guardSink` wraps the pipeline's sink
 * in each module's `create`, so no code path of a parser can emit a flow that `validateFlow` rejects.
 * A rejected flow is counted as a malformed line with the reason naming the field.
 */
import { repairFlow, validateFlow } from '../src/model/flow.js';
import type { ParseSink } from './types.js';
import type { TimeWindow } from '../src/model/time.js';

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

/**
 * The plausible-time gate of one input (src/model/time.ts `TimeWindow`): the pipeline puts it under the
 * sink it hands to a parser, so every flow that passed `guardSink` is also checked against the file's time
 * and its format's first day; a flow outside is a malformed line whose reason starts with `ts:`.
 * `window` null (`--no-time-window`) leaves the sink as it is.
 */
export function windowSink(sink: ParseSink, window: TimeWindow | null): ParseSink {
  if (window === null) return sink;
  return {
    flow(f) {
      const bad = window.check(f.ts, f.format);
      if (bad === null) sink.flow(f);
      else sink.skip(bad, f.line, 'malformed');
    },
    skip(reason, line, kind) { sink.skip(reason, line, kind); },
    note(name, n) { sink.note(name, n); },
  };
}
