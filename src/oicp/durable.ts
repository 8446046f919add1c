// Durable file writes shared by the push outbox and the full load journal: write a temp file, fsync it, rename it
// over the target, fsync the directory so the rename survives a power cut.
import * as fs from 'node:fs';

// Opening a directory fails on Windows (EISDIR, EPERM, EACCES); fsync of a directory handle is refused on some
// file systems (EINVAL, EPERM, EBADF, ENOTSUP). There the rename is still atomic, only its durability is up to the OS.
const DIR_OPEN_REFUSED = new Set(['EISDIR', 'EPERM', 'EACCES']);
const DIR_SYNC_REFUSED = new Set(['EINVAL', 'EPERM', 'EBADF', 'ENOTSUP', 'EISDIR', 'EACCES']);

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * fsyncs a directory so renames and new files in it are durable. Resolves true when synced, false when the
 * platform does not let a directory be opened or synced (Windows); any other error (EIO, ENOENT) rejects.
 */
export async function fsyncDir(dir: string): Promise<boolean> {
  let h: fs.promises.FileHandle;
  try {
    h = await fs.promises.open(dir, 'r');
  } catch (err) {
    if (DIR_OPEN_REFUSED.has(code(err) ?? '')) return false;
    throw err;
  }
  try {
    await h.sync();
    return true;
  } catch (err) {
    if (DIR_SYNC_REFUSED.has(code(err) ?? '')) return false;
    throw err;
  } finally {
    await h.close().catch(() => undefined);
  }
}

/** fsyncDir for close handlers that must finish synchronously. */
export function fsyncDirSync(dir: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch (err) {
    if (DIR_OPEN_REFUSED.has(code(err) ?? '')) return false;
    throw err;
  }
  try {
    fs.fsyncSync(fd);
    return true;
  } catch (err) {
    if (DIR_SYNC_REFUSED.has(code(err) ?? '')) return false;
    throw err;
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed or never valid: nothing to release
    }
  }
}

/** Writes all of a buffer to an open handle (a write may be short). */
async function writeAll(fh: fs.promises.FileHandle, buf: Buffer): Promise<void> {
  for (let off = 0; off < buf.length;) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
}

export interface AtomicWriteOptions {
  /** Temp file; default `<target>.<pid>.tmp`. A fixed name lets a restart find and remove a leftover one. */
  tmp?: string;
}

/**
 * Writes the pieces to a temp file, fsyncs it and renames it over target. The directory is not fsynced here: a
 * caller writing several files syncs it once, with fsyncDir. When the pieces or a write fail, the temp file is
 * removed, the target is unchanged and the error is passed on (an async generator may throw to abort the write).
 */
export async function writeAtomic(
  target: string,
  pieces: Iterable<string | Buffer> | AsyncIterable<string | Buffer>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const tmp = options.tmp ?? `${target}.${process.pid}.tmp`;
  let done = false;
  try {
    const fh = await fs.promises.open(tmp, 'w');
    try {
      for await (const piece of pieces) await writeAll(fh, typeof piece === 'string' ? Buffer.from(piece) : piece);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, target);
    done = true;
  } finally {
    if (!done) await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
  }
}

/** writeAtomic, synchronously (its temp file has its own name, so it never collides with an async write). */
export function writeAtomicSync(target: string, pieces: Iterable<string | Buffer>): void {
  const tmp = `${target}.${process.pid}.sync.tmp`;
  let done = false;
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      for (const piece of pieces) {
        const buf = typeof piece === 'string' ? Buffer.from(piece) : piece;
        for (let off = 0; off < buf.length;) off += fs.writeSync(fd, buf, off, buf.length - off);
      }
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
    done = true;
  } finally {
    if (!done) fs.rmSync(tmp, { force: true });
  }
}
