#!/usr/bin/env node
// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * prober.js - the Node.js baseline of bench_hcd and bench_hcd_steady, plain
 * `node`, no packages.  The checks are split over --procs worker processes
 * (one event loop each; two by default, one per core here).
 *
 *   node prober.js --targets FILE [--procs 2] [--timeout-ms 3000]
 *       every check once, all started at once (LINE's shape, seed 002);
 *       prints "prober.js: probes=N up=U down=D timeouts=T wall_ms=W
 *       cpu_ms=C procs=P"
 *   node prober.js --targets FILE --steady --interval-ms 5000
 *       --duration-s 60 [--procs 2] [--timeout-ms 3000]
 *       every check every interval, first runs spread over one interval
 *       (jitter); the figures cover --duration-s after that first
 *       interval: "prober.js steady: checks=N probes=P up=U down=D
 *       timeouts=T cpu_ms=C core_share=S late_ms_max=L rss_kb=R procs=P"
 *
 * FILE holds "ADDRESS PORT [http PATH | tcp]" per line (hc_responder --list
 * writes "ADDRESS PORT": an HTTP GET of /).  HTTP probes are written on
 * `net` sockets (a GET, the answer read to the end, the status line
 * checked: 2xx/3xx is up), not through the `http` module, whose agent and
 * parser cost more: the baseline is the cheaper of the two.  TCP probes
 * connect and close.  A timeout is the whole exchange taking longer than
 * --timeout-ms.  Probes in flight are capped per process below the
 * descriptor limit (Node raises the soft limit to the hard one, 20,000
 * here); the rest wait for a slot, their timeout starting when they start.
 * wall and CPU (user + system of the workers) cover the probing only.
 */
'use strict';

const { fork } = require('child_process');
const fs = require('fs');
const net = require('net');

const CAP = 19000; // probes in flight per process, below 20,000 descriptors

function parseArgs(argv) {
	const a = { procs: 2, timeoutMs: 3000, steady: false, intervalMs: 5000,
		durationS: 60, worker: -1, targets: null };
	for (let i = 0; i < argv.length; i++) {
		const k = argv[i], v = argv[i + 1];
		const num = (name) => {
			const n = Number(v);
			if (!Number.isInteger(n) || n < 0)
				die(`${name} "${v}" is not a whole number`);
			i++;
			return n;
		};
		if (k === '--targets') { a.targets = v; i++; }
		else if (k === '--procs') a.procs = num(k);
		else if (k === '--timeout-ms') a.timeoutMs = num(k);
		else if (k === '--interval-ms') a.intervalMs = num(k);
		else if (k === '--duration-s') a.durationS = num(k);
		else if (k === '--worker') a.worker = num(k);
		else if (k === '--steady') a.steady = true;
		else die(`unknown argument "${k}"`);
	}
	if (!a.targets)
		die('--targets FILE is required');
	if (a.procs < 1)
		die(`--procs "${a.procs}" is not 1 or more`);
	return a;
}

function die(msg) {
	process.stderr.write(`prober.js: ${msg}\n`);
	process.exit(2);
}

function load(file) {
	const out = [];
	fs.readFileSync(file, 'utf8').split('\n').forEach((line, n) => {
		const w = line.trim().split(/\s+/);
		if (w[0] === '')
			return;
		const kind = w[2] || 'http';
		if (w.length < 2 || !/^\d+$/.test(w[1]) || (kind !== 'http' && kind !== 'tcp'))
			die(`${file}:${n + 1}: "${line}" is not ADDRESS PORT [http PATH | tcp]`);
		out.push({ addr: w[0], port: Number(w[1]), kind, path: w[3] || '/' });
	});
	return out;
}

/* ---- one probe ------------------------------------------------------------ */

// Calls done('up' | 'down' | 'timeout') exactly once.
function probe(c, timeoutMs, done) {
	let finished = false, got = '';
	const s = net.connect({ host: c.addr, port: c.port });
	const finish = (r) => {
		if (finished)
			return;
		finished = true;
		clearTimeout(timer);
		s.destroy();
		done(r);
	};
	const timer = setTimeout(() => finish('timeout'), timeoutMs);
	s.on('error', () => finish('down'));
	s.on('connect', () => {
		if (c.kind === 'tcp')
			return finish('up');
		s.write(`GET ${c.path} HTTP/1.1\r\nHost: ${c.addr}:${c.port}\r\n` +
			'User-Agent: xlb-prober\r\nConnection: close\r\n\r\n');
	});
	s.setEncoding('latin1');
	s.on('data', (d) => { if (got.length < 256) got += d; });
	s.on('end', () => {
		const m = /^HTTP\/1\.\d (\d)\d\d/.exec(got);
		finish(m && (m[1] === '2' || m[1] === '3') ? 'up' : 'down');
	});
}

// Runs probes with at most CAP in flight; start(c, cb) is called per probe.
function makeLimiter(timeoutMs, onResult) {
	let inflight = 0;
	const queue = [];
	const next = () => {
		while (inflight < CAP && queue.length) {
			const c = queue.shift();
			inflight++;
			probe(c, timeoutMs, (r) => {
				inflight--;
				onResult(c, r);
				next();
			});
		}
	};
	return (c) => { queue.push(c); next(); };
}

function cpuMs() {
	const u = process.cpuUsage();
	return (u.user + u.system) / 1000;
}

/* ---- workers ---------------------------------------------------------------- */

function workerOnce(a, checks) {
	const counts = { up: 0, down: 0, timeout: 0 };
	let left = checks.length;
	process.on('message', () => {
		const c0 = cpuMs(), t0 = Date.now();
		const report = () => process.send({ counts, cpuMs: cpuMs() - c0,
			wallMs: Date.now() - t0 }, () => process.exit(0));
		if (!left)
			return report();
		const run = makeLimiter(a.timeoutMs, (c, r) => {
			counts[r]++;
			if (--left === 0)
				report();
		});
		checks.forEach(run);
	});
	process.send('ready');
}

function workerSteady(a, checks) {
	const counts = { probes: 0, up: 0, down: 0, timeout: 0 };
	let measuring = false, lateMax = 0, c0 = 0;
	const run = makeLimiter(a.timeoutMs, (c, r) => {
		if (!measuring)
			return;
		counts.probes++;
		counts[r]++;
	});
	const schedule = (c, due) => {
		setTimeout(() => {
			const late = Date.now() - due;
			if (measuring && late > lateMax)
				lateMax = late;
			run(c);
			schedule(c, due + a.intervalMs);
		}, Math.max(0, due - Date.now()));
	};
	process.on('message', () => {
		const t0 = Date.now();
		checks.forEach((c) => schedule(c, t0 + Math.random() * a.intervalMs));
		setTimeout(() => { measuring = true; c0 = cpuMs(); }, a.intervalMs);
		setTimeout(() => {
			process.send({ counts, cpuMs: cpuMs() - c0, lateMax,
				rssKb: Math.round(process.memoryUsage().rss / 1024) },
			() => process.exit(0));
		}, a.intervalMs + a.durationS * 1000);
	});
	process.send('ready');
}

/* ---- the parent: splits, starts, sums ----------------------------------------- */

function parent(a) {
	const total = load(a.targets).length;
	const kids = [], results = [];
	let ready = 0, t0 = 0;
	for (let w = 0; w < a.procs; w++) {
		const args = process.argv.slice(2).concat(['--worker', String(w)]);
		const k = fork(__filename, args, { stdio: 'inherit' });
		k.on('message', (m) => {
			if (m === 'ready') {
				if (++ready === a.procs) {
					t0 = Date.now();
					kids.forEach((x) => x.send('go'));
				}
				return;
			}
			results.push(m);
			if (results.length === a.procs)
				summary(a, total, results, Date.now() - t0);
		});
		k.on('exit', (code) => {
			if (code)
				die(`worker ${w} exited with ${code}`);
		});
		kids.push(k);
	}
	const stop = () => { kids.forEach((k) => k.kill('SIGTERM')); process.exit(1); };
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}

function summary(a, total, results, wallMs) {
	const sum = (f) => results.reduce((s, r) => s + f(r), 0);
	const cpu = sum((r) => r.cpuMs);
	if (!a.steady) {
		console.log(`prober.js: probes=${total} up=${sum((r) => r.counts.up)} ` +
			`down=${sum((r) => r.counts.down)} timeouts=${sum((r) => r.counts.timeout)} ` +
			`wall_ms=${wallMs} cpu_ms=${cpu.toFixed(0)} procs=${a.procs}`);
		return;
	}
	const late = Math.round(Math.max(...results.map((r) => r.lateMax)));
	console.log(`prober.js steady: checks=${total} probes=${sum((r) => r.counts.probes)} ` +
		`up=${sum((r) => r.counts.up)} down=${sum((r) => r.counts.down)} ` +
		`timeouts=${sum((r) => r.counts.timeout)} cpu_ms=${cpu.toFixed(0)} ` +
		`core_share=${(cpu / (a.durationS * 1000)).toFixed(3)} late_ms_max=${late} ` +
		`rss_kb=${sum((r) => r.rssKb)} procs=${a.procs}`);
}

function main() {
	const a = parseArgs(process.argv.slice(2));
	if (a.worker < 0)
		return parent(a);
	// Worker w of procs takes every procs-th check, from w.
	const checks = load(a.targets).filter((c, i) => i % a.procs === a.worker);
	process.on('disconnect', () => process.exit(1)); // the parent died
	(a.steady ? workerSteady : workerOnce)(a, checks);
}

main();
