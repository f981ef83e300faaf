/**
 * A byte budget shared by the reassemblers that run at the same time (one per flow in a pipeline
 * that reassembles many flows at once). Each reassembler reserves what it buffers and releases it
 * when the bytes are delivered; a refused reservation makes that reassembler flush with a gap
 * instead of growing. Environment-free, single-threaded.
 */
export class ReassemblyBudget {
  private usedBytes = 0;
  private peakBytes = 0;
  private refusals = 0;

  constructor(readonly limit: number) {
    if (!(limit >= 0)) throw new RangeError('budget limit must be a non-negative number of bytes');
  }

  /** Reserves n bytes when they fit; false (and nothing reserved) otherwise. */
  tryReserve(n: number): boolean {
    if (this.usedBytes + n > this.limit) {
      this.refusals++;
      return false;
    }
    this.usedBytes += n;
    if (this.usedBytes > this.peakBytes) this.peakBytes = this.usedBytes;
    return true;
  }

  release(n: number): void {
    this.usedBytes -= n;
    if (this.usedBytes < 0) this.usedBytes = 0;
  }

  get used(): number {
    return this.usedBytes;
  }

  get peak(): number {
    return this.peakBytes;
  }

  /** How many reservations were refused (each one caused a flush somewhere). */
  get refused(): number {
    return this.refusals;
  }
}
