/** DuckDB ingest and report measurements; filled in once the store exists. */
export async function runStoreBench(_o: unknown): Promise<void> {}
