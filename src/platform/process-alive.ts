import { existsSync, readFileSync } from 'node:fs';

/**
 * Whether `pid` is a live Agora node process. A dead node's pid may linger as a zombie
 * (where nothing reaps it) or be reused by another program, so on Linux /proc is asked
 * for the state and the command line; elsewhere a signal-0 probe is the best there is.
 */
export function isAgoraNodeAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const proc = `/proc/${pid}`;
  if (existsSync('/proc/self')) {
    try {
      const stat = readFileSync(`${proc}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z' || state === 'X') return false;
      return readFileSync(`${proc}/cmdline`, 'utf8').includes('daemon/main.js');
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
