/** The failures the CLI reports as one readable line, with the exit code docs/CONTRACT.md gives them. */
export interface ErrorDetail {
  path?: string;
  message: string;
}

/** Exit 1: something the user can act on (unknown tenant, stack down, key refused). */
export class UserError extends Error {
  constructor(
    message: string,
    readonly code = "failed",
    readonly details: ErrorDetail[] = [],
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = "UserError";
  }
}

/** Exit 2: the command line itself is wrong. */
export class UsageError extends UserError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super(message, "usage", details, 2);
    this.name = "UsageError";
  }
}
