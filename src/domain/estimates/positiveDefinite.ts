/**
 * The inverse of a symmetric positive-definite matrix by Cholesky factorization (A = L·Lᵀ), small and
 * dense: the normal equations of a network fit, one row per chemical system of a connected part. Rows
 * are plain arrays; throws when the matrix is not positive definite (a part that is not connected).
 */
export function invertPositiveDefinite(matrix: readonly (readonly number[])[]): number[][] {
  const n = matrix.length;
  const lower = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i += 1) {
    const row = matrix[i]!;
    for (let j = 0; j <= i; j += 1) {
      let sum = row[j]!;
      const li = lower[i]!;
      const lj = lower[j]!;
      for (let k = 0; k < j; k += 1) sum -= li[k]! * lj[k]!;
      if (i === j) {
        if (!(sum > 0)) throw new Error(`the matrix is not positive definite (pivot ${i} is ${sum})`);
        li[i] = Math.sqrt(sum);
      } else {
        li[j] = sum / lj[j]!;
      }
    }
  }
  // L⁻¹ column by column (forward substitution), then A⁻¹ = L⁻ᵀ·L⁻¹.
  const inverseLower = Array.from({ length: n }, () => new Float64Array(n));
  for (let column = 0; column < n; column += 1) {
    for (let i = column; i < n; i += 1) {
      let sum = i === column ? 1 : 0;
      const li = lower[i]!;
      for (let k = column; k < i; k += 1) sum -= li[k]! * inverseLower[k]![column]!;
      inverseLower[i]![column] = sum / li[i]!;
    }
  }
  const inverse = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j <= i; j += 1) {
      let sum = 0;
      for (let k = i; k < n; k += 1) sum += inverseLower[k]![i]! * inverseLower[k]![j]!;
      inverse[i]![j] = sum;
      inverse[j]![i] = sum;
    }
  }
  return inverse;
}
