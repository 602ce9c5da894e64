const significantDigits = 6;

/** A number to six significant digits, without trailing zeros. */
export function formatNumber(value: number): string {
  return String(Number(value.toPrecision(significantDigits)));
}

/** `value ± σ unit`, the unit left out when there is none. */
export function plusMinus(value: number, uncertainty: number, unit?: string | null): string {
  return `${formatNumber(value)} ± ${formatNumber(uncertainty)}${unit === undefined || unit === null ? '' : ` ${unit}`}`;
}

export const optionalNumber = (value: number | null | undefined): string =>
  value === null || value === undefined ? '' : formatNumber(value);
