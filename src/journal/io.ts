// The file operations the journal engine uses, behind one interface so tests can inject a failing disk (ENOSPC,
// EIO, EROFS) without a real one. The default is node:fs with the guarantees of src/oicp/durable.ts.
import * as fs from 'node:fs';
import { promisify } from 'node:util';
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

const pWrite = promisify(fs.write);
const pDatasync = promisify(fs.fdatasync);
const pTruncate = promisify(fs.ftruncate);
const pClose = promisify(fs.close);
// fs.open looked up per call, so a test can hold a store's open (a save that outlasts a deploy).
const pOpen = (file: string, flags: string): Promise<number> =>
  new Promise((resolve, reject) => fs.open(file, flags, (err, fd) => (err ? reject(err) : resolve(fd))));

// A raw descriptor rather than a FileHandle: a store dropped without close() (a config node replaced) must not
// trip Node's FileHandle-closed-on-GC warning, and the sync calls of a close handler share it.
function fdHandle(fd: number): JournalHandle {
  let open = true;
  const h: JournalHandle = {
    write: async (buf, position) => {
      for (let off = 0; off < buf.length;) {
        // {bytesWritten} from node:fs; a bare count where fs.write was wrapped (tests, tools) and lost its promisify shape.
        const r = (await pWrite(fd, buf, off, buf.length - off, position + off)) as unknown as { bytesWritten: number } | number;
        off += typeof r === 'number' ? r : r.bytesWritten;
      }
    },
    datasync: () => pDatasync(fd),
    truncate: (length) => pTruncate(fd, length),
    close: async () => {
      if (!open) return;
      open = false;
      await pClose(fd);
    },
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
    // 'r+' keeps the content and allows positional writes; 'w+' creates it when missing.
    try {
      return fdHandle(await pOpen(file, 'r+'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return fdHandle(await pOpen(file, 'w+'));
    }
  },
  openSync(file) {
    try {
      return fdHandle(fs.openSync(file, 'r+'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return fdHandle(fs.openSync(file, 'w+'));
    }
  },
  writeAtomic: (target, pieces, tmp) => writeAtomic(target, pieces, { tmp }),
  writeAtomicSync: (target, pieces) => writeAtomicSync(target, pieces),
  fsyncDir,
  fsyncDirSync,
};
