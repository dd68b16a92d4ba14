export type GpioDirection = 'in' | 'out';
export type GpioEdge = 'none' | 'rising' | 'falling' | 'both';

export interface GpioPin {
  read(): Promise<0 | 1>;
  write(value: 0 | 1): Promise<void>;
  /** Calls back on each edge of an input pin; returns an unsubscribe function. */
  watch(callback: (value: 0 | 1) => void): () => void;
  release(): void;
}

/** GPIO lines by BCM number. Real on a Pi (onoff), fake elsewhere and in tests. */
export interface Gpio {
  /** Why GPIO cannot be used here, or undefined when it can. */
  unavailableReason(): string | undefined;
  open(bcm: number, direction: GpioDirection, edge?: GpioEdge): GpioPin;
}
