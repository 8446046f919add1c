// The file operations the journal engine uses, behind one interface so tests can inject a failing disk (ENOSPC,
// EIO, EROFS) without a real one. The default is node:fs with the guarantees of src/oicp/durable.ts.
import * as fs from 'node:fs';
import { fsyncDir, fsyncDirSync, writeAtomic, writeAtomicSync } from '../oicp/durable';

export interface JournalHandle {
  write(buf: Buffer, position: number): Promise<void>;
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
  writeSync(buf: Buffer, position: number): void;
  datasyncSync(): void;
  truncateSync(length: number): void;
  closeSync(): void;
}

export interface JournalIo {
  readFileSync(file: string): Buffer | undefined;
  mkdirSync(dir: string): void;
  renameSync(from: string, to: string): void;
  rmSync(file: string): void;
  /** Opens for positional writes, creating the file when missing (never in append mode: positions would be ignored). */
  open(file: string): Promise<JournalHandle>;
  openSync(file: string): JournalHandle;
  writeAtomic(target: string, pieces: AsyncIterable<string> | Iterable<string>, tmp: string): Promise<void>;
  writeAtomicSync(target: string, pieces: Iterable<string>): void;
  fsyncDir(dir: string): Promise<boolean>;
  fsyncDirSync(dir: string): boolean;
}

async function writeAll(fh: fs.promises.FileHandle, buf: Buffer, position: number): Promise<void> {
  for (let off = 0; off < buf.length;) off += (await fh.write(buf, off, buf.length - off, position + off)).bytesWritten;
}

function handleOf(fh: fs.promises.FileHandle): JournalHandle {
  const fd = fh.fd;
  return {
    write: (buf, position) => writeAll(fh, buf, position),
    datasync: () => fh.datasync(),
    truncate: (length) => fh.truncate(length),
    close: () => fh.close(),
    writeSync: (buf, position) => {
      for (let off = 0; off < buf.length;) off += fs.writeSync(fd, buf, off, buf.length - off, position + off);
    },
    datasyncSync: () => fs.fdatasyncSync(fd),
    truncateSync: (length) => fs.ftruncateSync(fd, length),
    closeSync: () => {
      // The promise handle owns the fd; closing it here keeps one owner.
      void fh.close().catch(() => undefined);
    },
  };
}

function syncHandle(fd: number): JournalHandle {
  let open = true;
  const h: JournalHandle = {
    write: async (buf, position) => h.writeSync(buf, position),
    datasync: async () => h.datasyncSync(),
    truncate: async (length) => h.truncateSync(length),
    close: async () => h.closeSync(),
    writeSync: (buf, position) => {
      for (let off = 0; off < buf.length;) off += fs.writeSync(fd, buf, off, buf.length - off, position + off);
    },
    datasyncSync: () => fs.fdatasyncSync(fd),
    truncateSync: (length) => fs.ftruncateSync(fd, length),
    closeSync: () => {
      if (!open) return;
      open = false;
      fs.closeSync(fd);
    },
  };
  return h;
}

export const nodeIo: JournalIo = {
  readFileSync(file) {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  },
  mkdirSync: (dir) => void fs.mkdirSync(dir, { recursive: true }),
  renameSync: (from, to) => fs.renameSync(from, to),
  rmSync: (file) => fs.rmSync(file, { force: true }),
  async open(file) {
    // 'r+' keeps the content and allows positional writes; 'wx' creates it when missing.
    try {
      return handleOf(await fs.promises.open(file, 'r+'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return handleOf(await fs.promises.open(file, 'w+'));
    }
  },
  openSync(file) {
    try {
      return syncHandle(fs.openSync(file, 'r+'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return syncHandle(fs.openSync(file, 'w+'));
    }
  },
  writeAtomic: (target, pieces, tmp) => writeAtomic(target, pieces, { tmp }),
  writeAtomicSync: (target, pieces) => writeAtomicSync(target, pieces),
  fsyncDir,
  fsyncDirSync,
};
