/** JSON report: the report model as it is (`schema_version` first, 2-space indent). */
import type { ReportModel } from './model.js';

export function renderJson(m: ReportModel): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}
