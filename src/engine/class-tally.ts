/**
 * A worker's figures per client class (`clients.slow`): what its normal and its slow clients got,
 * counted apart next to the pool's totals, for the report's `classes` (results/client-classes.ts).
 */
import { createHistogram, encodeHistogram, recordMs, type Histogram } from '../metrics/histogram.js';
import { addDelivery } from '../metrics/ledger.js';
import { emptyClassCounts, type ClientClassCounts, type ClientClassName } from '../results/client-classes.js';
import type { DeliveryCounts } from '../results/types.js';

export class ClassTally {
  private readonly normal: ClientClassCounts;
  private readonly slow: ClientClassCounts;
  private readonly normalFanout: Histogram = createHistogram();
  private readonly slowFanout: Histogram = createHistogram();

  constructor(normalClients: number, slowClients: number) {
    this.normal = emptyClassCounts(normalClients);
    this.slow = emptyClassCounts(slowClients);
  }

  latency(slow: boolean, ms: number): void {
    recordMs(slow ? this.slowFanout : this.normalFanout, ms);
  }

  opened(slow: boolean): void {
    this.of(slow).opened++;
  }

  failed(slow: boolean): void {
    this.of(slow).failed++;
  }

  error(slow: boolean, kind: string, count: number): void {
    const errors = this.of(slow).errors;
    errors[kind] = (errors[kind] ?? 0) + count;
  }

  /** A connection of the class closed before the run ended, with this close code. */
  closedEarly(slow: boolean, code: number): void {
    const c = this.of(slow);
    c.closedEarly++;
    c.closesByCode[code] = (c.closesByCode[code] ?? 0) + 1;
  }

  delivery(slow: boolean, counts: DeliveryCounts): void {
    addDelivery(this.of(slow).delivery, counts);
  }

  result(): Record<ClientClassName, ClientClassCounts> {
    return {
      normal: { ...this.normal, fanout: encodeHistogram(this.normalFanout) },
      slow: { ...this.slow, fanout: encodeHistogram(this.slowFanout) },
    };
  }

  private of(slow: boolean): ClientClassCounts {
    return slow ? this.slow : this.normal;
  }
}
