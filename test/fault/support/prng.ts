import { mulberry32 } from '../../../local/seeded-random.js';

/**
 * A seeded pseudo-random generator (mulberry32) with the few helpers the scheduler needs.
 * Every random choice of a fault schedule comes from one of these, never from `Math.random`, so a
 * seed names a schedule and a failing seed can be replayed.
 */
export class Prng {
  /** A float in [0, 1). */
  readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  /** An integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** One key of `weights`, chosen with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as Array<[K, number]>;
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [key, weight] of entries) {
      roll -= weight;
      if (roll < 0) return key;
    }
    return entries.at(-1)![0];
  }

  /** An independent generator derived from this one (so sub-schedules do not shift each other). */
  fork(): Prng {
    return new Prng(Math.floor(this.next() * 4294967296));
  }
}
