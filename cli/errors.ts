/** An error whose message is meant for the user as is (no stack trace): bad input, missing lab... */
export class UserError extends Error {
  readonly userError = true;
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}
