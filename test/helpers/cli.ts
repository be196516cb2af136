/**
 * Runs the built CLI (dist/) as a user would, from the repository root.
 *
 * `runCli` runs `main(argv, io)` in this process (in a worker thread that keeps the modules loaded) with
 * captured stdout/stderr, stdin from `input`, the environment merged over a copy of process.env and TZ=UTC:
 * the same result `{code, stdout, stderr}` a subprocess gives, a hundred times cheaper.
 * `runCliProcess` starts a real Node process: keep it for the few tests about the process itself
 * (the bin entry, a closed pipe, the terminal).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(ROOT, 'dist/src/cli/main.js');
/** The shared corpus beside the clone; absent in a bare clone. */
export const CORPUS = resolve(ROOT, '../shared/corpus');
export const HAVE_CORPUS = existsSync(CORPUS);
/** Set by .ci/run: a missing prerequisite (corpus, Chromium, …) fails the run instead of skipping tests. */
export const REQUIRE_PREREQS = process.env['FWAUDIT_REQUIRE_PREREQS'] === '1';

export interface CliResult { code: number; stdout: string; stderr: string }
export interface CliOptions { input?: string | Buffer; cwd?: string; env?: Record<string, string> }

/** A call that has not answered after this long is reported as a hang (code -1). */
const TIMEOUT_MS = 170_000;

let worker: Worker | null = null;
let flag: Int32Array | null = null;

function cliWorker(): { worker: Worker; flag: Int32Array } {
  if (!worker || !flag) {
    const shared = new SharedArrayBuffer(4);
    flag = new Int32Array(shared);
    worker = new Worker(new URL('./cli-worker.mjs', import.meta.url), {
      workerData: { cliPath: pathToFileURL(CLI).href, flag: shared },
      env: { ...process.env, TZ: 'UTC' },
      stdout: false, stderr: false,
    });
    worker.unref();
  }
  return { worker, flag };
}

export function runCli(args: string[], o: CliOptions = {}): CliResult {
  const { worker: w, flag: f } = cliWorker();
  const prevCwd = process.cwd();
  const cwd = o.cwd ? resolve(ROOT, o.cwd) : ROOT;
  if (cwd !== prevCwd) process.chdir(cwd);
  const { port1, port2 } = new MessageChannel();
  try {
    Atomics.store(f, 0, 0);
    const input = o.input === undefined ? null : typeof o.input === 'string' ? Buffer.from(o.input, 'utf8') : o.input;
    w.postMessage({ args, input, env: { ...process.env, TZ: 'UTC', ...o.env }, port: port2 }, [port2]);
    const waited = Atomics.wait(f, 0, 0, TIMEOUT_MS);
    const msg = receiveMessageOnPort(port1);
    if (!msg) {
      // Never answered: a promise that never settles inside the CLI (or a dead worker).
      void w.terminate();
      worker = null; flag = null;
      return { code: -1, stdout: '', stderr: `runCli: no result after ${waited === 'timed-out' ? `${TIMEOUT_MS} ms` : 'the worker stopped'}` };
    }
    return msg.message as CliResult;
  } finally {
    port1.close();
    if (process.cwd() !== prevCwd) process.chdir(prevCwd);
  }
}

/** The CLI as a real subprocess (bin entry, exit status of the process, signals, pipes). */
export function runCliProcess(args: string[], o: CliOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: o.cwd ?? ROOT, input: o.input, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, TZ: 'UTC', ...o.env },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function jsonLines(s: string): Record<string, unknown>[] {
  return s.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);
}
