/**
 * The one report-format registry: the formats `report` and `run` write, and the file extensions that
 * select them. The renderers are loaded only when a report is written (see `loadRenderer`).
 */
import { extname } from 'node:path';
import type { ReportModel } from './model.js';

export const REPORT_FORMATS = ['html', 'md', 'csv', 'json', 'junit'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Known extensions (lower case, with the dot) and the format each selects. */
export const REPORT_EXTENSIONS: Readonly<Record<string, ReportFormat>> = {
  '.html': 'html', '.htm': 'html', '.md': 'md', '.markdown': 'md', '.csv': 'csv', '.json': 'json', '.xml': 'junit',
};

export function isReportFormat(s: string): s is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(s);
}

/** The format a file name selects by its extension, or null for an unknown or missing extension. */
export function reportFormatOfPath(path: string): ReportFormat | null {
  return REPORT_EXTENSIONS[extname(path).toLowerCase()] ?? null;
}

/** Loads the renderer of one format (each renderer is imported only when used). */
export async function loadRenderer(f: ReportFormat): Promise<(m: ReportModel) => string> {
  switch (f) {
    case 'html': return (await import('./html.js')).renderHtml;
    case 'md': return (await import('./markdown.js')).renderMarkdown;
    case 'csv': return (await import('./csv.js')).renderCsv;
    case 'json': return (await import('./json.js')).renderJson;
    case 'junit': return (await import('./junit.js')).renderJunit;
  }
}
