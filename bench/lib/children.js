// @ts-check
/**
 * Every process the bench starts is a direct child of this one. They are
 * tracked here and killed on every way out: normal end, a thrown error, a
 * signal, or the watchdog. As a last resort the /proc scan finds children
 * started by libraries that do not tell us their pid up front.
 */
'use strict';

const fs = require('node:fs');

/** @type {Set<number>} */
const tracked = new Set();

/** Remembers a child pid so it is killed on the way out. */
function track(/** @type {number | undefined} */ pid) {
  if (typeof pid === 'number') tracked.add(pid);
}

/** Forgets a pid once its process has been seen to exit. */
function untrack(/** @type {number | undefined} */ pid) {
  if (typeof pid === 'number') tracked.delete(pid);
}

/** Pids of the live direct children of this process, from /proc. */
function directChildren() {
  /** @type {number[]} */
  const pids = [];
  let entries;
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === process.pid && fields[0] !== 'Z') pids.push(Number(name));
    } catch {
      // Gone in between.
    }
  }
  return pids;
}

/** SIGKILLs every tracked pid and every live direct child; synchronous, safe to call twice. */
function killAll() {
  const pids = new Set([...tracked, ...directChildren()]);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  tracked.clear();
  return pids.size;
}

let installed = false;

/**
 * Installs the exit paths: children are killed when this process exits for
 * any reason, on SIGINT/SIGTERM/SIGHUP, on an uncaught error, and when the
 * watchdog fires after `budgetMs`.
 */
function installCleanup(/** @type {number} */ budgetMs) {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    killAll();
  });
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
    process.once(signal, () => {
      const n = killAll();
      process.stderr.write(`\nbench: ${signal}, killed ${n} child process(es)\n`);
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    killAll();
    process.stderr.write(`bench: uncaught ${err && err.stack ? err.stack : String(err)}\n`);
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    killAll();
    process.stderr.write(`bench: unhandled rejection ${err instanceof Error && err.stack ? err.stack : String(err)}\n`);
    process.exit(1);
  });
  const watchdog = setTimeout(() => {
    const n = killAll();
    process.stderr.write(`bench: watchdog: still running after ${Math.round(budgetMs / 1000)} s, killed ${n} child process(es)\n`);
    process.exit(1);
  }, budgetMs);
  watchdog.unref();
}

/** VmRSS and VmHWM of a live process, in bytes (null when it cannot be read). */
function memoryOf(/** @type {number | undefined} */ pid) {
  if (typeof pid !== 'number') return null;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (/** @type {string} */ field) => {
      const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) * 1024 : NaN;
    };
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
const USER_HZ = 100;

/** CPU time (user + system) a live process has used, in µs (null when it cannot be read). */
function cpuTimeOf(/** @type {number | undefined} */ pid) {
  if (typeof pid !== 'number') return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "pid (comm) ": state is [0], utime [11], stime [12].
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / USER_HZ;
  } catch {
    return null;
  }
}

/**
 * CPU time a live process has used so far, in ms, summed over its threads
 * from /proc/<pid>/task/<tid>/schedstat (nanoseconds, unlike the 10 ms
 * ticks of /proc/<pid>/stat): precise enough for one start-up. Threads that
 * already exited are not counted (null when it cannot be read).
 */
function cpuMsOfThreads(/** @type {number | undefined} */ pid) {
  if (typeof pid !== 'number') return null;
  try {
    let ns = 0;
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // The thread ended in between.
      }
    }
    return ns / 1e6;
  } catch {
    return null;
  }
}

module.exports = { track, untrack, killAll, installCleanup, memoryOf, cpuTimeOf, cpuMsOfThreads, directChildren };
