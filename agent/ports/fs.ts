import * as fsp from 'node:fs/promises';

/**
 * The file-system calls the agent makes. Tests use the real implementation on a temp dir,
 * or wrap it to inject faults (EROFS, ENOSPC, EIO) into single calls.
 */
export type FileSystem = Pick<
  typeof fsp,
  'readFile' | 'writeFile' | 'appendFile' | 'mkdir' | 'rename' | 'rm' | 'unlink' | 'stat' | 'readdir' | 'open' | 'statfs' | 'access' | 'truncate'
>;

export const realFileSystem: FileSystem = fsp;
