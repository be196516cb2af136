/** Errors in user-supplied configuration (rulesets, inventory, hosts files, fwaudit.yaml). Exit code 2. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number | null,
    readonly field: string | null,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
  override toString(): string {
    const where = this.line !== null ? `${this.file}:${this.line}` : this.file;
    return `${where}: ${this.field ? `${this.field}: ` : ''}${this.message}`;
  }
}

/** An input that could not be read at all (missing, unreadable, truncated). Exit code 2. */
export class InputError extends Error {
  constructor(message: string, readonly file: string) {
    super(message);
    this.name = 'InputError';
  }
}
