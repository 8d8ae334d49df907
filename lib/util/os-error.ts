/**
 * Operating-system errors (permission, full disk, a folder where a file belongs, a missing
 * file, an address that cannot be bound) are the user's to fix, not bugs: they become a
 * one-line FerError naming the path. Anything else is left alone.
 */
import { FerError } from './errors';

const WHAT: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EISDIR: 'is a folder, a file was expected',
  ENOTDIR: 'a path component is not a folder',
  ENOENT: 'no such file or folder',
  EEXIST: 'already exists',
  ENOTEMPTY: 'folder is not empty',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EBUSY: 'resource busy',
  ETXTBSY: 'file busy',
  EXDEV: 'cannot move across file systems',
  EIO: 'input/output error',
  EFBIG: 'file too large',
  EINVAL: 'invalid argument',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this machine',
  EAFNOSUPPORT: 'address family not supported',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
};

/** The FerError for an OS error (`code` in WHAT), else undefined. */
export function osErrorToFerError(e: unknown): FerError | undefined {
  if (e === null || typeof e !== 'object') return undefined;
  const err = e as NodeJS.ErrnoException & {
    address?: string;
    port?: number;
    hostname?: string;
    dest?: string;
  };
  const code = typeof err.code === 'string' ? err.code : undefined;
  if (code === undefined || !(code in WHAT)) return undefined;
  const where =
    err.path ??
    (err.address !== undefined
      ? `${err.address}${err.port !== undefined ? `:${err.port}` : ''}`
      : err.hostname);
  const op = err.syscall ? ` (${err.syscall}${err.dest ? ` to ${err.dest}` : ''})` : '';
  return new FerError(`${WHAT[code]} [${code}]${op}`, where);
}

/** One line of at most `max` characters: newlines and runs of blanks become one space. */
export function oneLine(s: string, max = 400): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}
