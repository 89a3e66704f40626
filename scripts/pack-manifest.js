#!/usr/bin/env node
// The package.json that `npm pack` and `npm publish` put in the tarball.
//
// This repository's package.json needs `prepare` (a fresh clone builds
// itself on `npm ci`), but in a tarball npm reports `prepare` as an install
// script not yet allowed, on every install. So `prepack` runs `strip`: it
// keeps the manifest byte for byte in BACKUP and writes it without the fields
// that only mean something here (`scripts`, `allowScripts`); `postpack` runs
// `restore`. npm skips `postpack` when packing fails after `prepack` (an
// unwritable --pack-destination, an interrupt), so `strip` also starts a
// detached `guard` that restores the manifest once the npm process is gone.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const MANIFEST = path.join(root, 'package.json');
const BACKUP = path.join(root, '.package.json.packing');
/** Fields of package.json that mean something only in this repository. */
const REPOSITORY_ONLY = ['scripts', 'allowScripts'];
/** What npm runs scripts through; the package manager is the first ancestor that is none of these. */
const SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'ksh', 'mksh', 'ash', 'busybox', 'fish', 'cmd.exe', 'pwsh', 'powershell']);

/** Puts the repository's manifest back, if it was stripped. Safe to run twice and concurrently. */
function restore() {
  try {
    fs.renameSync(BACKUP, MANIFEST);
    return true;
  } catch (err) {
    if (err.code === 'ENOENT') return false;
    throw err;
  }
}

function strip() {
  restore(); // a backup left by a pack that neither postpack nor the guard finished
  const text = fs.readFileSync(MANIFEST, 'utf8');
  const manifest = JSON.parse(text);
  for (const field of REPOSITORY_ONLY) delete manifest[field];
  fs.writeFileSync(BACKUP, text);
  fs.writeFileSync(MANIFEST, JSON.stringify(manifest, null, 2) + '\n');
  const packer = packageManagerPid();
  if (packer === undefined) {
    process.stderr.write('pack-manifest: could not find the npm process; package.json is restored by postpack only\n');
    return;
  }
  spawn(process.execPath, [__filename, 'guard', String(packer)], { detached: true, stdio: 'ignore' }).unref();
}

/** Waits until the process `pid` is gone or the manifest was restored, restoring it in the first case. */
function guard(pid) {
  const timer = setInterval(() => {
    if (!fs.existsSync(BACKUP)) {
      clearInterval(timer);
    } else if (!isAlive(pid)) {
      clearInterval(timer);
      restore();
    }
  }, 20);
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** The process that runs this script's lifecycle event: the nearest ancestor that is not a shell. */
function packageManagerPid() {
  let pid = process.ppid;
  for (let depth = 0; depth < 4 && pid > 1; depth++) {
    const info = processInfo(pid);
    if (!info) return undefined;
    if (!SHELLS.has(path.basename(info.command))) return pid;
    pid = info.ppid;
  }
  return undefined;
}

/** The parent and command name of a process, from /proc or ps; undefined where neither answers. */
function processInfo(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    return { command: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(stat.slice(close + 2).split(' ')[1]) };
  } catch {
    // no /proc (macOS, BSD): ask ps
  }
  try {
    const [ppid, ...command] = execFileSync('ps', ['-o', 'ppid=,comm=', '-p', String(pid)], { encoding: 'utf8' }).trim().split(/\s+/);
    return { command: command.join(' '), ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

const [command, arg] = process.argv.slice(2);
if (command === 'strip') strip();
else if (command === 'restore') restore();
else if (command === 'guard') guard(Number(arg));
else {
  process.stderr.write('usage: pack-manifest.js strip | restore | guard PID\n');
  process.exitCode = 2;
}
