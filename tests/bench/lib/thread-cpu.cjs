/**
 * Preloaded into a measured Node command (`node --require THIS cmd`): at exit, prints each
 * thread's CPU time from /proc/self/task/<tid>/stat to stderr as one line
 *   THREAD-CPU <tid>:<user s>:<sys s>:<name> ...   (in thread creation order; the main thread's tid is the pid)
 * so a benchmark can report how a multi-threaded command spreads its work. Linux only; prints
 * nothing elsewhere. Not used by the product.
 */
'use strict';
const fs = require('node:fs');
process.on('exit', () => {
  let tasks;
  try {
    tasks = fs.readdirSync('/proc/self/task');
  } catch {
    return;
  }
  const hz = 100; // USER_HZ on Linux
  const rows = [];
  for (const t of tasks.map(Number).sort((a, b) => a - b)) {
    try {
      const st = fs.readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      // the thread's name (comm), without the separators of this line
      const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')')).replace(/[\s:]/g, '_');
      rows.push(`${t}:${(Number(f[11]) / hz).toFixed(2)}:${(Number(f[12]) / hz).toFixed(2)}:${name}`);
    } catch {
      // the thread ended meanwhile
    }
  }
  process.stderr.write(`THREAD-CPU ${process.pid} ${rows.join(' ')}\n`);
});
