// The agent of a warm Node slot (see SlotAgent.NODE). It runs inside the sandbox in a Node process that has
// already started, then waits on stdin for one job line: {"argv": [...], "env": {...}, "cwd": "..."}.
// `node FILE args` runs here at once, as that command would; anything else runs as a child process whose
// exit status becomes the slot's (Node cannot exec). Either way the slot ends with the job.
'use strict';
const fs = require('fs');
const path = require('path');
const Module = require('module');
const childProcess = require('child_process');
const os = require('os');
// Loaded once per slot: what scripts require first.
for (const name of ['util', 'events', 'stream', 'crypto', 'url', 'assert', 'buffer', 'string_decoder',
  'readline', 'timers', 'zlib', 'http', 'querystring']) {
  try {
    require(name);
  } catch (e) {
    // not in this Node: nothing to preload
  }
}
const MAX_JOB_BYTES = 256 * 1024;

function readJob() {
  // Byte by byte: whatever follows the line on fd 0 is the job's own stdin and must stay unread.
  const bytes = [];
  const one = Buffer.alloc(1);
  for (;;) {
    let n;
    try {
      n = fs.readSync(0, one, 0, 1, null);
    } catch (e) {
      if (e.code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      process.exit(125);
    }
    if (n === 0) process.exit(125);
    if (one[0] === 10) break;
    bytes.push(one[0]);
    if (bytes.length > MAX_JOB_BYTES) process.exit(125);
  }
  return JSON.parse(Buffer.from(bytes).toString('utf8'));
}

function which(command) {
  if (command.includes('/')) return command;
  for (const dir of (process.env.PATH || '').split(':')) {
    const candidate = path.join(dir || '.', command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch (e) {
      // not here
    }
  }
  return null;
}

function isThisNode(command) {
  const found = which(command);
  try {
    return found !== null && fs.realpathSync(found) === fs.realpathSync(process.execPath);
  } catch (e) {
    return false;
  }
}

function runElsewhere(argv) {
  const child = childProcess.spawnSync(argv[0], argv.slice(1), { stdio: 'inherit', env: process.env });
  if (child.error) {
    const reason = child.error.code === 'ENOENT' ? 'No such file or directory'
      : child.error.code === 'EACCES' ? 'Permission denied' : String(child.error.message);
    fs.writeSync(2, 'phantom-slot: execvp ' + argv[0] + ': ' + reason + '\n');
    process.exit(127);
  }
  process.exit(child.status !== null ? child.status : 128 + (os.constants.signals[child.signal] || 0));
}

const job = readJob();
Object.assign(process.env, job.env);
if (job.cwd) process.chdir(job.cwd);
const argv = job.argv;
const nodeJob = argv.length >= 2 && !argv[1].startsWith('-') && isThisNode(argv[0])
  && !Object.keys(job.env).some((name) => name.startsWith('NODE_'));
if (!nodeJob) {
  runElsewhere(argv);
} else {
  const script = path.resolve(argv[1]);
  if (!fs.existsSync(script)) {
    runElsewhere(argv); // Node's own "Cannot find module" message and exit status
  } else {
    process.argv = [process.execPath, script, ...argv.slice(2)];
    Module.runMain();
  }
}
