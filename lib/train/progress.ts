/**
 * Keras-style progress: a live bar with img/s and ETA when stderr is a terminal, otherwise one
 * plain line every `every` batches (logs and CI stay readable), and the per-epoch summary line.
 */
export interface ProgressOptions {
  /** Where lines go (default stderr). */
  write?: (s: string) => void;
  /** Draw a redrawn bar (default: stderr is a TTY). */
  tty?: boolean;
  /** Non-TTY: one line every this many batches (default: about ten per epoch). */
  every?: number;
  /** Images already trained when this epoch was resumed part-way (kept out of img/s). */
  startImages?: number;
}

export const fmtMetric = (v: number): string => v.toFixed(4);
export const fmtLr = (v: number): string => v.toExponential(2);

function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export class EpochProgress {
  private readonly t0 = Date.now();
  private readonly write: (s: string) => void;
  private readonly tty: boolean;
  private readonly every: number;
  private readonly startImages: number;

  constructor(
    private readonly epoch: number,
    private readonly epochs: number,
    private readonly totalImages: number,
    private readonly batches: number,
    opts: ProgressOptions = {},
  ) {
    this.write = opts.write ?? ((s) => process.stderr.write(s));
    this.tty = opts.tty ?? Boolean(process.stderr.isTTY);
    this.every = opts.every ?? Math.max(1, Math.round(batches / 10));
    this.startImages = opts.startImages ?? 0;
  }

  /** After batch `batch` (1-based), `images` seen so far, running means of loss/accuracy. */
  update(batch: number, images: number, loss: number, accuracy: number): void {
    const secs = (Date.now() - this.t0) / 1000;
    const rate = (images - this.startImages) / Math.max(secs, 1e-9);
    const eta = (this.totalImages - images) / rate;
    const stats = `${Math.round(rate)} img/s - ETA ${fmtSeconds(eta)} - loss: ${fmtMetric(loss)} - accuracy: ${fmtMetric(accuracy)}`;
    if (this.tty) {
      const width = 30;
      const done = Math.round((width * images) / this.totalImages);
      const bar =
        '='.repeat(Math.max(0, done - 1)) + (done < width ? '>' : '=') + '.'.repeat(width - done);
      this.write(
        `\r${String(images).padStart(String(this.totalImages).length)}/${this.totalImages} [${bar}] - ${stats}\x1b[K`,
      );
    } else if (batch % this.every === 0 || batch === this.batches) {
      this.write(`epoch ${this.epoch}/${this.epochs} batch ${batch}/${this.batches} - ${stats}\n`);
    }
  }

  /** Clears the bar (TTY) before the epoch line is printed. */
  done(): void {
    if (this.tty) this.write('\r\x1b[K');
  }
}

/** `Epoch 3/60 - 412s - loss: … - accuracy: … - val_loss: … - val_accuracy: … - lr: …` */
export function epochLine(
  epoch: number,
  epochs: number,
  seconds: number,
  m: { loss: number; accuracy: number; val_loss: number; val_accuracy: number; lr: number },
): string {
  return (
    `Epoch ${epoch}/${epochs} - ${Math.round(seconds)}s - loss: ${fmtMetric(m.loss)} - accuracy: ${fmtMetric(m.accuracy)}` +
    ` - val_loss: ${fmtMetric(m.val_loss)} - val_accuracy: ${fmtMetric(m.val_accuracy)} - lr: ${fmtLr(m.lr)}`
  );
}
