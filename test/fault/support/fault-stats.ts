/** Counts of schedules run and faults injected, by kind, across a test file or a many-seed run. */
export class FaultStats {
  schedules = 0;
  invocations = 0;
  private readonly faults = new Map<string, number>();

  add(labels: readonly string[]): void {
    for (const label of labels) this.faults.set(label, (this.faults.get(label) ?? 0) + 1);
  }

  merge(other: FaultStats): void {
    this.schedules += other.schedules;
    this.invocations += other.invocations;
    for (const [label, n] of other.faults) this.faults.set(label, (this.faults.get(label) ?? 0) + n);
  }

  get totalFaults(): number {
    return [...this.faults.values()].reduce((sum, n) => sum + n, 0);
  }

  count(label: string): number {
    return this.faults.get(label) ?? 0;
  }

  /** Labels that start with `prefix` (e.g. `crash-before:`), for coverage assertions. */
  labels(prefix = ''): string[] {
    return [...this.faults.keys()].filter((label) => label.startsWith(prefix)).sort();
  }

  /** A readable summary: schedules, invocations, then each fault kind with its count. */
  summary(title: string): string {
    const lines = [...this.faults.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([label, n]) => `  ${label.padEnd(40)} ${n}`);
    return [
      `${title}: ${this.schedules} schedules, ${this.invocations} invocations, ${this.totalFaults} faults injected`,
      ...lines,
    ].join('\n');
  }
}
