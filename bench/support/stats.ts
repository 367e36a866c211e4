/** Summaries of measured samples. Each keeps the definition its benchmark has always reported. */

/** The upper middle value: `sorted[⌊n/2⌋]` (for an odd count, the median). */
export const upperMedian = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The median: the middle value, or the mean of the two middle values for an even count. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The p-th percentile (0-100) by nearest rank: the smallest value with p % of samples at or below it. */
export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

/** The p-th percentile (0-100) of values already sorted ascending: the value at index ⌊p/100·n⌋. */
export const percentileOfSorted = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
