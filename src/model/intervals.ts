/** Closed integer intervals, sorted and disjoint (ports, IPv4 addresses as uint32). */
export type Intervals = ReadonlyArray<readonly [number, number]>;

/** Binary search: is n inside one of the sorted, disjoint closed intervals? */
export function inIntervals(n: number, ivs: Intervals): boolean {
  let lo = 0, hi = ivs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const iv = ivs[mid]!;
    if (n < iv[0]) hi = mid - 1;
    else if (n > iv[1]) lo = mid + 1;
    else return true;
  }
  return false;
}
