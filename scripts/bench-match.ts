/** Parse + match measurement support; filled in once the matcher exists. */
export function hasMatchBench(): boolean { return false; }
export function writeBenchInventory(_dir: string): string { return ''; }
export async function buildMatcherFor(_inventory: string): Promise<{ observe: (f: unknown) => void; result: () => unknown }> {
  return { observe: () => {}, result: () => null };
}
