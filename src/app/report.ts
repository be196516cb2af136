/**
 * Report use case: the report model from a store (src/reports/model.ts) rendered in one format.
 * Formats: html, md, csv, json, junit; from --format, else from the output file's extension; stdout (`-` or no
 * --out) defaults to Markdown. An extension that names no format (e.g. `.txt`) needs --format.
 */
import { UsageError } from '../model/errors.js';
import { buildReportModel, parseWhen, type Bucket, type ReportModel } from '../reports/model.js';
import { isReportFormat, loadRenderer, REPORT_EXTENSIONS, REPORT_FORMATS, reportFormatOfPath, type ReportFormat } from '../reports/formats.js';
import { openExistingStore, type Store } from '../store/store.js';

export type { ReportFormat };

/** Format from `format`, else from the extension of `out`; `out` absent or `-` gives Markdown. */
export function reportFormatFor(format: string | undefined, out: string | undefined): ReportFormat {
  if (format !== undefined) {
    if (!isReportFormat(format)) throw new UsageError(`--format: expected one of ${REPORT_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
    return format;
  }
  if (out === undefined || out === '-') return 'md';
  const byExt = reportFormatOfPath(out);
  if (!byExt) throw new UsageError(`cannot tell the report format from ${JSON.stringify(out)} (extensions: ${Object.keys(REPORT_EXTENSIONS).join(' ')}); pass --format`);
  return byExt;
}

export interface ReportPeriodText { since?: string; until?: string }

/** --since/--until as instants (relative to `now`, dates read in `tz` unless they carry an offset); an empty or inverted period is a UsageError. */
export function reportPeriod(p: ReportPeriodText, now: Date, tz = 'UTC'): { since: Date | null; until: Date | null } {
  const since = p.since ? parseWhen(p.since, now, tz) : null;
  const until = p.until ? parseWhen(p.until, now, tz) : null;
  if (since && until && since.getTime() >= until.getTime()) {
    throw new UsageError(`--since (${since.toISOString()}) must be before --until (${until.toISOString()})`);
  }
  return { since, until };
}

export interface ReportRequest extends ReportPeriodText {
  db: string;
  format: ReportFormat;
  top?: number;
  bucket?: Bucket;
  displayTz?: string;
  waitSeconds?: number;
  now?: Date;
}

export async function reportFromStore(store: Store, req: Omit<ReportRequest, 'db' | 'waitSeconds'>): Promise<{ text: string; model: ReportModel }> {
  const now = req.now ?? new Date();
  const { since, until } = reportPeriod(req, now, req.displayTz ?? 'UTC');
  const model = await buildReportModel(store, { since, until, top: req.top, bucket: req.bucket, displayTz: req.displayTz, now });
  return { text: (await loadRenderer(req.format))(model), model };
}

/** Opens the store read-only, builds the model, renders it. */
export async function buildReport(req: ReportRequest): Promise<{ text: string; model: ReportModel }> {
  if (req.top !== undefined && (!Number.isInteger(req.top) || req.top < 1)) throw new UsageError(`--top: expected a positive integer, got ${req.top}`);
  // Validate the period before touching the store.
  reportPeriod(req, req.now ?? new Date(), req.displayTz ?? 'UTC');
  const store = await openExistingStore(req.db, { waitSeconds: req.waitSeconds });
  try {
    return await reportFromStore(store, req);
  } finally {
    await store.close();
  }
}
