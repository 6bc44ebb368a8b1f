/**
 * The clock port. Controllers and the ledger take time from here, never from `Date.now()`, so
 * tests and the virtual-clock mode can move time by hand.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = {
  now: () => new Date(),
};

/** A clock that moves only when told to: for tests and time-skipping. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: Date | number) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): Date {
    if (ms < 0) throw new RangeError('a manual clock only moves forward');
    this.current += ms;
    return this.now();
  }

  set(to: Date | number): Date {
    const target = typeof to === 'number' ? to : to.getTime();
    if (target < this.current) throw new RangeError('a manual clock only moves forward');
    this.current = target;
    return this.now();
  }
}
