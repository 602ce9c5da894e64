/** Draws one item at random in proportion to its weight (all weights > 0); `random` returns [0, 1). */
export function pickWeighted<T extends { weight: number }>(items: readonly T[], random: () => number): T | undefined {
  const total = items.reduce((sum, item) => sum + item.weight, 0);
  let point = random() * total;
  for (const item of items) {
    point -= item.weight;
    if (point < 0) return item;
  }
  return items.at(-1);
}
