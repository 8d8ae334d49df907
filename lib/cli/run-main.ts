/** How a `fer` command ends: its exit code, one line for a user error, never a silent success. */
import { FerError } from '../util/errors';
import { oneLine, osErrorToFerError } from '../util/os-error';

/**
 * Runs `main` and exits with its code. A FerError, or an operating-system error (EACCES,
 * ENOSPC, EISDIR, EADDRNOTAVAIL, ...: the user's to fix), prints one line naming the path
 * (exit 1); any other error is a bug (exit 2, stack with FER_DEBUG=1).
 *
 * Node ends a process whose event loop has emptied with exit code 0, even while `main` is still
 * waiting: a wait on something that holds no handle (tfjs-backend-wasm unreferences each of its
 * worker threads once it has loaded) would then pass for success with nothing written.
 * `beforeExit` fires exactly then, and turns it into an error.
 */
export function runMain(main: () => Promise<number>): void {
  // Every settled path below calls process.exit, which skips beforeExit.
  process.once('beforeExit', () => {
    console.error(
      "fer: internal error: Node's event loop emptied while the command was still waiting " +
        '(on something that held no event-loop handle); the command did not finish',
    );
    process.exit(2);
  });
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      // User errors are one line, no stack; anything else is a bug and keeps its stack.
      const user = e instanceof FerError ? e : osErrorToFerError(e);
      if (user) {
        console.error(oneLine(user.format(), 1000));
        process.exit(1);
      }
      if (process.env.FER_DEBUG) console.error(e);
      else
        console.error(
          `fer: internal error: ${oneLine(e instanceof Error ? e.message : String(e))} (set FER_DEBUG=1 for the stack)`,
        );
      process.exit(2);
    },
  );
}
