/**
 * Preloaded (`--import`) into every process the benchmark starts: the process ends by
 * itself when the benchmark that started it is gone (it was re-parented) or when the
 * run's deadline has passed, so a crashed or killed run never leaves load running.
 *
 * BENCH_PARENT_PID: the pid of the orchestrator; BENCH_DEADLINE_MS: epoch ms hard stop.
 */
const parent = Number(process.env.BENCH_PARENT_PID ?? 0);
const deadline = Number(process.env.BENCH_DEADLINE_MS ?? 0);

if (parent > 0 || deadline > 0) {
  let ending = false;
  const end = (why: string) => {
    if (ending) return;
    ending = true;
    process.stderr.write(`[bench guard] pid ${process.pid}: ${why}; stopping\n`);
    // SIGTERM first: the quiz server shuts down gracefully (and writes its CPU profile).
    setTimeout(() => process.exit(1), 15_000).unref();
    process.kill(process.pid, 'SIGTERM');
  };
  setInterval(() => {
    if (parent > 0 && process.ppid !== parent) end(`parent ${parent} is gone`);
    else if (deadline > 0 && Date.now() > deadline) end('the benchmark time budget is over');
  }, 500).unref();
}

export {};
