/**
 * An error the user caused (bad file, bad option). The CLI prints it as one line,
 * `<file>:<line>: <message>` when a location is known, with no stack trace, and exits 1.
 */
export class FerError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'FerError';
  }

  /** The one-line form shown to users. */
  format(): string {
    if (this.file !== undefined && this.line !== undefined)
      return `${this.file}:${this.line}: ${this.message}`;
    if (this.file !== undefined) return `${this.file}: ${this.message}`;
    return this.message;
  }
}
