export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const quantile = (sorted: number[], q: number): number => {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo]! + (sorted[Math.ceil(at)]! - sorted[lo]!) * (at - lo);
};

/** "p25–p75" of a list of ratios: where the middle half of the paired measurements fell. */
export function interquartile(xs: number[], digits = 3): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${quantile(s, 0.25).toFixed(digits)}–${quantile(s, 0.75).toFixed(digits)}`;
}
