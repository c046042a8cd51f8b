import { orderByPriorityAndWeight } from './key-pool.service';

const key = (id: number, priority: number, weight: number) => ({ id, priority, weight });

/** A fixed sequence of "random" numbers in [0, 1). */
function draws(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

describe('orderByPriorityAndWeight: highest priority first, weighted random within', () => {
  it('tries every key of a higher priority before any key of a lower one', () => {
    const keys = [key(1, 0, 100), key(2, 10, 1), key(3, 5, 1), key(4, 10, 1)];
    const ids = orderByPriorityAndWeight(keys, draws(0.99, 0.5, 0.1)).map((k) => k.id);
    expect(ids.slice(0, 2).sort()).toEqual([2, 4]);
    expect(ids.slice(2)).toEqual([3, 1]);
  });

  it('draws within a priority in proportion to weight; weight 0 only after the others', () => {
    const keys = [key(1, 0, 1), key(2, 0, 3), key(3, 0, 0)];
    // total weight 4: a draw below 0.25 lands on key 1, from 0.25 on key 2
    expect(orderByPriorityAndWeight(keys, draws(0.1, 0.0)).map((k) => k.id)).toEqual([1, 2, 3]);
    expect(orderByPriorityAndWeight(keys, draws(0.3, 0.0)).map((k) => k.id)).toEqual([2, 1, 3]);
    let first2 = 0;
    const random = Math.random;
    for (let i = 0; i < 4000; i++) if (orderByPriorityAndWeight(keys, random)[0].id === 2) first2++;
    expect(first2 / 4000).toBeGreaterThan(0.68); // expected 0.75
    expect(first2 / 4000).toBeLessThan(0.82);
  });

  it('leaves its input alone (the key pool hands out cached arrays)', () => {
    const keys = [key(1, 0, 1), key(2, 1, 1)];
    orderByPriorityAndWeight(keys, draws(0.5));
    expect(keys.map((k) => k.id)).toEqual([1, 2]);
  });
});
