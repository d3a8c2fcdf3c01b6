/**
 * CPU time from /proc (Linux): a process's own, and that of the services this checkout runs
 * natively (scripts/services.sh), found by their pid files. Elsewhere, or for services found some
 * other way, the figures are undefined rather than guessed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of a /proc stat file, in ms. */
function statCpuMs(path: string): number | undefined {
  try {
    const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1_000;
  } catch {
    return undefined;
  }
}

/** CPU ms of the process whose pid a file holds. */
export function pidFileCpuMs(pidFile: string): number | undefined {
  try {
    return statCpuMs(`/proc/${readFileSync(pidFile, 'utf8').trim()}/stat`);
  } catch {
    return undefined;
  }
}

interface ServicesCpuMs {
  mysql: number | undefined;
  kafka: number | undefined;
}

/** CPU ms so far of this checkout's native MySQL and Kafka (`.services/<name>/pid`). */
export function servicesCpuMs(root: string): ServicesCpuMs {
  return {
    mysql: pidFileCpuMs(join(root, '.services', 'mysql', 'pid')),
    kafka: pidFileCpuMs(join(root, '.services', 'kafka', 'pid')),
  };
}

export const cpuDifference = (after: number | undefined, before: number | undefined) =>
  after !== undefined && before !== undefined ? after - before : undefined;
