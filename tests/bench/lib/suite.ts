/** The contract between run-bench.ts and the benchmark suites (store, later capture, carving, UI…). */

export interface SuiteContext {
  /** BENCH_SIZE as given ("2G"), and in bytes. */
  sizeText: string;
  size: number;
  /** BENCH_SEED: seeds generated data and every random choice of the suites. */
  seed: number;
}

export interface Suite {
  name: string;
  description: string;
  /** Prints its report, writes bench-data/results-<name>.json; throws only on harness errors. */
  run(ctx: SuiteContext): Promise<void>;
}

/** One row of a suite's summary: a figure next to its target. */
export interface TargetRow {
  metric: string;
  value: string;
  reference: string;
  ratio: string;
  target: string;
  /** null when it could not be measured. */
  meets: boolean | null;
}
