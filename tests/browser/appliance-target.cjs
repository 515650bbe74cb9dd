// appliance-target.cjs -- loaded with `node --require` before scenarios.mjs
// when the browser scenarios run against the booted appliance (the
// appliance suite, tests/browser/appliance_target.py) instead of the demo
// stack.  scenarios.mjs asks the demo's state directory ($KVM_STATE) what
// the daemons saw and pokes it (hidd's report log, the LED FIFO, mediad's
// store and LUN files, pids.json, a kill by pid).  On the appliance those
// answers are inside the VM, so this module routes exactly those calls:
//
//   fs.readFileSync / fs.existsSync / fs.writeFileSync of a path under
//   $KVM_STATE, and process.kill of a pid the appliance reported,
//
// to appliance_target.py (the test process that owns the VM's guest
// agent), one request per call over the UNIX socket $KVM_TARGET_SOCK, and
// waits for the answer (the scenarios' calls are synchronous).  One file
// is not routed: logs/hid-reports.log, which the guest writes itself into
// $KVM_STATE on the 9p share, from the target's /dev/hidraw* (every report
// the target's USB stack received, byte for byte), in the demo's format.
// Everything else (other paths, other pids) goes to the real functions, so
// the scenarios are the demo's, unchanged.
'use strict';

const childProcess = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const STATE = process.env.KVM_STATE;
const SOCK = process.env.KVM_TARGET_SOCK;
const CLIENT = path.join(__dirname, 'appliance_target.py');
const LOCAL = new Set(['logs/hid-reports.log']);

if (!STATE || !SOCK)
	throw new Error('appliance-target.cjs needs KVM_STATE and KVM_TARGET_SOCK');

// One request to appliance_target.py; its answer, or an Error with its
// message (an ENOENT answer carries code 'ENOENT', as fs would).
function ask(req) {
	let out;
	try {
		out = childProcess.execFileSync('python3', [CLIENT, '--ask', SOCK,
			JSON.stringify(req)], {encoding: 'utf8', timeout: 120000,
			stdio: ['ignore', 'pipe', 'inherit']});
	} catch (e) {
		throw new Error(`appliance target: ${req.op} ${req.path || req.pid || ''}: ${e.message}`);
	}
	const r = JSON.parse(out);
	if (r.error) {
		const e = new Error(`appliance target: ${req.op} ${req.path || req.pid || ''}: ${r.error}`);
		if (r.code)
			e.code = r.code;
		throw e;
	}
	return r.result;
}

// The path relative to $KVM_STATE when the appliance answers for it.
function routed(p) {
	if (typeof p !== 'string')
		return null;
	const rel = path.relative(STATE, path.resolve(p));
	if (rel.startsWith('..') || path.isAbsolute(rel) || LOCAL.has(rel))
		return null;
	return rel;
}

const real = {
	readFileSync: fs.readFileSync,
	existsSync: fs.existsSync,
	writeFileSync: fs.writeFileSync,
	kill: process.kill.bind(process),
};

fs.readFileSync = function (p, opts) {
	const rel = routed(p);
	if (rel === null)
		return real.readFileSync.apply(fs, arguments);
	// The answer is a file on this host (a copy made by the guest on the
	// share, or one the test process wrote): read it as asked.
	return real.readFileSync(ask({op: 'read', path: rel}), opts);
};

fs.existsSync = function (p) {
	const rel = routed(p);
	if (rel === null)
		return real.existsSync.apply(fs, arguments);
	return ask({op: 'exists', path: rel});
};

fs.writeFileSync = function (p, data) {
	const rel = routed(p);
	if (rel === null)
		return real.writeFileSync.apply(fs, arguments);
	ask({op: 'write', path: rel, hex: Buffer.from(data).toString('hex')});
};

// The pids scenarios kill come from pids.json, i.e. from the appliance:
// the test process refuses any pid that is not one of its daemons'.
const remote = new Set();
const readPids = fs.readFileSync;
fs.readFileSync = function (p) {
	const v = readPids.apply(fs, arguments);
	if (routed(p) === 'pids.json')
		for (const pid of Object.values(JSON.parse(String(v))))
			remote.add(pid);
	return v;
};

process.kill = function (pid, sig) {
	if (!remote.has(pid))
		return real.kill(pid, sig);
	ask({op: 'kill', pid, signal: sig === undefined ? 'SIGTERM' : String(sig)});
	return true;
};
