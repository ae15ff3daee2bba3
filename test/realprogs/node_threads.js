// test/realprogs/node_threads.js -- Node.js threads of both kinds: three
// worker_threads (each its own V8 isolate on its own thread) and libuv's
// thread pool (async crypto.pbkdf2 and fs reads, with UV_THREADPOOL_SIZE=4).
// Every result is compared with the same computation done synchronously on
// the main thread.  Exit status 0 when all agree.
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

function work(seed) {
  let h = crypto.createHash('sha256');
  for (let i = 0; i < 20000; i++) h.update(String(seed * 100003 + i));
  return h.digest('hex');
}

if (!isMainThread) {
  parentPort.postMessage({ seed: workerData, digest: work(workerData) });
} else {
  const failures = [];
  const check = (cond, what) => { if (!cond) { failures.push(what); console.error('node_threads: ' + what); } };

  const workers = [1, 2, 3].map((seed) => new Promise((resolve, reject) => {
    const w = new Worker(__filename, { workerData: seed });
    w.on('message', (m) => check(m.digest === work(m.seed), `worker ${m.seed}: digest differs`));
    w.on('error', reject);
    w.on('exit', (code) => { check(code === 0, `worker ${seed} exited ${code}`); resolve(); });
  }));

  const pool = [];
  for (let i = 0; i < 8; i++) {
    const salt = 'salt' + i;
    const want = crypto.pbkdf2Sync('secret', salt, 20000, 32, 'sha256').toString('hex');
    pool.push(new Promise((resolve, reject) => crypto.pbkdf2('secret', salt, 20000, 32, 'sha256',
      (err, key) => { if (err) return reject(err); check(key.toString('hex') === want, `pbkdf2 ${i} differs`); resolve(); })));
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-threads-'));
  for (let i = 0; i < 8; i++) {
    const file = path.join(dir, 'f' + i);
    const data = Buffer.alloc(1 << 20, i);
    fs.writeFileSync(file, data);
    pool.push(fs.promises.readFile(file).then((got) => check(got.equals(data), `fs read ${i} differs`)));
  }

  Promise.all([...workers, ...pool]).then(() => {
    fs.rmSync(dir, { recursive: true });
    console.log('node_threads: ' + (failures.length ? failures.length + ' failures' : 'ok'));
    process.exitCode = failures.length ? 1 : 0;
  }, (err) => { console.error('node_threads: ' + err); process.exitCode = 1; });
}
