import { type FSWatcher, mkdirSync, watch } from 'node:fs';
import { ErrorCode, ServoError } from '../errors.js';
import { prefixDirectory } from './local-disk-layout.js';

/**
 * Calls `onChange` soon after another process (or this one) writes an object directly under
 * `prefix` (a `/`-terminated key prefix) of the local-disk store rooted at `rootDir`: a file-system
 * watch on the directory that holds those objects, so a reader notices a new ledger segment within
 * milliseconds instead of at its next poll. Notifications are hints — they may be coalesced,
 * repeated or (on some file systems, such as network mounts) missing — so callers keep polling
 * beside it. The store's own lock and temporary files are ignored. Returns a function that stops
 * watching.
 */
export function watchLocalDiskPrefix(rootDir: string, prefix: string, onChange: () => void): () => void {
  const location = prefix.endsWith('/') ? prefixDirectory(rootDir, prefix) : undefined;
  if (location === undefined) {
    throw new ServoError(ErrorCode.InvalidInput, `cannot watch key prefix ${JSON.stringify(prefix)}`);
  }
  // The directory appears with the first object; create it so the watch can start before that.
  mkdirSync(location.dir, { recursive: true });
  let watcher: FSWatcher | undefined = watch(location.dir, { persistent: false }, (_event, name) => {
    if (name === null || !name.includes('~')) onChange();
  });
  watcher.on('error', () => {
    // The directory went away or the watch broke: polling still notices every change.
    watcher?.close();
    watcher = undefined;
  });
  return () => {
    watcher?.close();
    watcher = undefined;
  };
}
