// The in-process CLI of test/helpers/cli.ts: a worker thread that keeps the built CLI (dist/) loaded and
// runs `main(argv, io)` once per request with captured streams. The test thread blocks on an Atomics
// word until the result is posted, so `runCli` stays synchronous.
import { parentPort, workerData } from 'node:worker_threads';
import { Readable, Writable } from 'node:stream';

const { cliPath, flag } = workerData;
const signal = new Int32Array(flag);
const { main } = await import(cliPath);

class Capture extends Writable {
  constructor() { super(); this.chunks = []; this.isTTY = false; }
  _write(chunk, _enc, cb) { this.chunks.push(Buffer.from(chunk)); cb(); }
  text() { return Buffer.concat(this.chunks).toString('utf8'); }
}

let current = null;
function reply(port, msg) {
  port.postMessage(msg);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}
// A throw outside main's promise chain (an event handler) is a crash of the process in real life: report it as such.
for (const ev of ['uncaughtException', 'unhandledRejection']) {
  process.on(ev, (e) => {
    if (!current) return;
    const c = current; current = null;
    reply(c.port, { code: 70, stdout: c.out.text(), stderr: `${c.err.text()}${ev}: ${e?.stack ?? e}\n` });
  });
}

parentPort.on('message', async ({ args, input, env, port }) => {
  const out = new Capture(), err = new Capture();
  const stdin = Readable.from(input ? [Buffer.from(input)] : []);
  current = { port, out, err };
  // This thread's process.env is its own copy (worker_threads): the call's environment is set in it too,
  // for the code that reads process.env rather than io.env, and restored afterwards.
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  Object.assign(process.env, env);
  let code;
  try {
    code = await main([process.execPath, cliPath, ...args], { stdout: out, stderr: err, stdin, env });
  } catch (e) {
    code = 70; err.write(`main threw: ${e?.stack ?? e}\n`);
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
  if (current === null) return; // already answered (crash)
  current = null;
  reply(port, { code, stdout: out.text(), stderr: err.text() });
});
