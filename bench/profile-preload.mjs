/* global process, setInterval */
/*
 * CPU profile (and memory samples) of the Agora daemons a bench run starts. Node refuses
 * --cpu-prof in NODE_OPTIONS, but a preload may start the inspector's profiler:
 *
 *   PROF_DIR=/tmp/prof NODE_OPTIONS="--import $PWD/bench/profile-preload.mjs" \
 *     BENCH_SYNCTHING=0 BENCH_ROUNDS=1 BENCH_DATASETS=big npm run bench
 *
 * Only processes running `daemon/main.js run` are profiled. Each writes, when it exits (the
 * bench stops it with `agora stop`), daemon-<pid>.cpuprofile (Chrome DevTools, speedscope)
 * and mem-<pid>.json (process.memoryUsage() once a second). The profiler costs some CPU and
 * memory: time and RSS of such a run are not the product's.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.PROF_DIR;
if (dir && /daemon\/main\.js run/.test(process.argv.join(' '))) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  const samples = [];
  setInterval(() => samples.push({ t: Date.now(), ...process.memoryUsage() }), 1000).unref();
  process.on('exit', () => {
    writeFileSync(join(dir, `mem-${process.pid}.json`), JSON.stringify(samples));
    // The in-process session answers synchronously, so this still runs before the exit.
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(join(dir, `daemon-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
