/**
 * A zero uncertainty (a protocol sure of its number, or one that rounds) would make an inverse-variance
 * weight infinite. Such values are given this floor instead: a thousandth of the smallest positive
 * uncertainty among those combined, so they dominate (by a million in weight) without breaking the
 * arithmetic; when every uncertainty is zero, an absolute 1e-9 (they weigh alike, and the combined
 * uncertainty stays ~0). Documented in docs/estimates.md.
 */
export function uncertaintyFloor(uncertainties: readonly number[]): number {
  let smallest = Number.POSITIVE_INFINITY;
  for (const sigma of uncertainties) if (sigma > 0 && sigma < smallest) smallest = sigma;
  return Number.isFinite(smallest) ? smallest * 1e-3 : 1e-9;
}

export const floored = (sigma: number, floor: number): number => Math.max(sigma, floor);
