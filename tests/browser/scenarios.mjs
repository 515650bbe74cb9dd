// scenarios.mjs SCENARIO -- one browser test of the console page (www/),
// run by run.py against the demo stack: headless Debian Chromium driven
// by playwright-core, through nginx with TLS and basic auth.  Each
// scenario asserts what the daemons saw: the exact HID reports hidd wrote
// to its keyboard FIFO (the demo logs each one), mediad's LUN, gpiod-ctl's
// test backend history.  Screenshots go to $KVM_ARTIFACTS.
//
// Environment (set by run.py): KVM_URL KVM_USER KVM_PASSWORD KVM_STATE
// KVM_ARTIFACTS KVM_CHROMIUM.

import {chromium} from 'playwright-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const env = process.env;
const URL = env.KVM_URL;
const ORIGIN = new globalThis.URL(URL).origin;
const STATE = env.KVM_STATE;
const ARTIFACTS = env.KVM_ARTIFACTS;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- helpers

// Polls fn until it returns a truthy value; fails with what after ms.
async function until(what, fn, ms = 20000, every = 100) {
	const end = Date.now() + ms;
	let last;
	for (;;) {
		try {
			last = await fn();
			if (last)
				return last;
		} catch (e) {
			last = e;
		}
		if (Date.now() > end)
			throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${last})`);
		await sleep(every);
	}
}

// Every keyboard report hidd wrote so far (the demo's FIFO reader logs
// them: "TIME hidg0 keyboard: 02 00 0b 00 00 00 00 00  (...)").
function keyboardReports() {
	const text = fs.readFileSync(path.join(STATE, 'logs', 'hid-reports.log'), 'utf8');
	const out = [];
	for (const line of text.split('\n')) {
		const m = /^\S+ hidg0 keyboard: ((?:[0-9a-f]{2} ?){8})/.exec(line);
		if (m)
			out.push(m[1].trim());
	}
	return out;
}

// Reports as hex strings: modifiers byte and the keys in their slots.
function report(mods, ...keys) {
	const b = [mods, 0, ...keys];
	while (b.length < 8)
		b.push(0);
	return b.map((x) => x.toString(16).padStart(2, '0')).join(' ');
}

// Waits until the keyboard log stops growing; returns what came after `from`.
async function settledReports(from, atLeast) {
	let prev = -1, same = 0;
	await until(`${atLeast} keyboard reports`, () => keyboardReports().length - from >= atLeast, 10000);
	for (;;) {
		const n = keyboardReports().length;
		same = n === prev ? same + 1 : 0;
		prev = n;
		if (same >= 5)
			break;
		await sleep(100);
	}
	return keyboardReports().slice(from);
}

const US = {};
for (let c = 0; c < 26; c++) {
	const l = String.fromCharCode(97 + c);
	US[l] = {code: `Key${l.toUpperCase()}`, usage: 0x04 + c, shift: false};
	US[l.toUpperCase()] = {code: `Key${l.toUpperCase()}`, usage: 0x04 + c, shift: true};
}
Object.assign(US, {
	' ': {code: 'Space', usage: 0x2c, shift: false},
	',': {code: 'Comma', usage: 0x36, shift: false},
	'!': {code: 'Digit1', usage: 0x1e, shift: true},
});

// Types text key by key as a person on a US keyboard would (Shift held for
// capitals and symbols); returns the boot reports a keyboard must send.
async function typeUS(page, text) {
	const want = [];
	for (const ch of text) {
		const k = US[ch];
		assert.ok(k, `no US key for ${JSON.stringify(ch)}`);
		const mods = k.shift ? 0x02 : 0;
		if (k.shift) {
			await page.keyboard.down('Shift');
			want.push(report(0x02));
		}
		await page.keyboard.down(k.code);
		want.push(report(mods, k.usage));
		await page.keyboard.up(k.code);
		want.push(report(mods));
		if (k.shift) {
			await page.keyboard.up('Shift');
			want.push(report(0));
		}
	}
	return want;
}

// The API through nginx with the browser context's credentials.
async function api(ctx, method, p, data) {
	const opts = {method, headers: {}};
	if (method !== 'GET') {
		opts.headers['X-KaputtKVM'] = '1';
		opts.headers.Origin = ORIGIN;
		opts.data = data === undefined ? {} : data;
	}
	const r = await ctx.request.fetch(`${ORIGIN}${p}`, opts);
	const body = await r.json();
	assert.ok(body.ok, `${method} ${p}: ${r.status()} ${JSON.stringify(body)}`);
	return body.result;
}

function pids() {
	return JSON.parse(fs.readFileSync(path.join(STATE, 'pids.json'), 'utf8'));
}

async function shot(page, name, locator) {
	const file = path.join(ARTIFACTS, `${name}.png`);
	if (locator)
		await locator.screenshot({path: file});
	else
		await page.screenshot({path: file});
	return fs.readFileSync(file);
}

// Opens the page and waits until video and keyboard are up.
async function open(ctx) {
	const page = await ctx.newPage();
	page.errors = [];
	page.on('pageerror', (e) => page.errors.push(e.message));
	page.on('console', (m) => {
		if (m.type() === 'error')
			page.errors.push(m.text());
	});
	await page.goto(URL);
	try {
		await until('the first video frames',
		    async () => Number(await page.locator('#video').getAttribute('data-frames')) > 3);
		await until('the keyboard connection',
		    async () => (await page.locator('#hid-status').getAttribute('data-kind')) === 'ok');
	} catch (e) {
		e.message += `; page errors: ${JSON.stringify(page.errors)}`;
		throw e;
	}
	return page;
}

// Focuses the console without clicking into the picture (no mouse reports).
async function focusConsole(page) {
	await page.locator('#console').focus();
	await sleep(300);
}

// A phone: a browser of its own with a touch screen at viewport (a
// context made with isMobile, hasTouch, twice the pixels, and more from
// extra), for fn(context); a failure screenshots its pages as
// NAME-failure.png.
async function onPhone(viewport, name, extra, fn) {
	const browser = await chromium.launch({executablePath: env.KVM_CHROMIUM || '/usr/bin/chromium',
		headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-quic']});
	const phone = await browser.newContext({viewport, hasTouch: true, isMobile: true,
		deviceScaleFactor: 2, ignoreHTTPSErrors: true,
		httpCredentials: {username: env.KVM_USER, password: env.KVM_PASSWORD}, ...extra});
	try {
		await fn(phone);
	} catch (e) {
		for (const p of phone.pages())
			await p.screenshot({path: path.join(ARTIFACTS, `${name}-failure.png`)}).catch(() => {});
		throw e;
	} finally {
		await browser.close();
	}
}

// -------------------------------------------------------------- scenarios

const scenarios = {};

// The page loads, the stream's frames change, the readout tells the mode.
scenarios['video'] = async (ctx) => {
	const page = await open(ctx);
	const v = page.locator('#video');
	const n0 = Number(await v.getAttribute('data-frames'));
	const a = await shot(page, 'video-1', v);
	await sleep(2000);
	const b = await shot(page, 'video-2', v);
	assert.notDeepEqual(a, b, 'the video element looks the same after two seconds');
	const n1 = Number(await v.getAttribute('data-frames'));
	assert.ok(n1 - n0 >= 4, `only ${n1 - n0} frames shown in two seconds`);
	await until('the readout', async () =>
		/1280x720 · \d+ fps shown/.test(await page.locator('#video-readout').textContent()));
	assert.ok(await page.locator('#video-overlay').isHidden(), 'an overlay hides a live picture');
	// Letterboxing: the picture's rectangle keeps 16:9 inside the element.
	const r = await page.evaluate(() => window.kvm.video.rect());
	assert.ok(Math.abs(r.width / r.height - 1280 / 720) < 0.01, `picture rect ${JSON.stringify(r)}`);
	await shot(page, 'page');
	// The snapshot button saves a JPEG.
	const [dl] = await Promise.all([page.waitForEvent('download'),
		page.locator('#snapshot').click()]);
	assert.match(dl.suggestedFilename(), /^kaputtkvm-[\dT-]+\.jpg$/);
	const jpg = path.join(ARTIFACTS, 'snapshot.jpg');
	await dl.saveAs(jpg);
	const head = fs.readFileSync(jpg).subarray(0, 3);
	assert.deepEqual([...head], [0xff, 0xd8, 0xff], 'the snapshot is no JPEG');
	assert.deepEqual(page.errors, []);
};

// The pattern's bars (pattern.h), full-range RGB; on the appliance
// (KVM_BARS=vivid-75) vivid's default picture, 75 % colour bars in the same
// order.
const BARS = [[255, 255, 255], [255, 255, 0], [0, 255, 255], [0, 255, 0],
	[255, 0, 255], [255, 0, 0], [0, 0, 255], [0, 0, 0]].map((px) =>
	env.KVM_BARS === 'vivid-75' ? px.map((v) => Math.round(v * 0.75)) : px);

// The canvas's pixels at the eight bars' centres, a third down, and a
// fingerprint of the lower part (the counter strip and moving square).
async function canvasBars(page) {
	return page.evaluate(() => {
		const c = document.getElementById('video-h264');
		const g = c.getContext('2d');
		const bars = [];
		for (let i = 0; i < 8; i++)
			bars.push([...g.getImageData(Math.floor((2 * i + 1) * c.width / 16), Math.floor(c.height / 3), 1, 1).data].slice(0, 3));
		// The whole picture: capd's pattern moves at the bottom, vivid
		// (the appliance) changes only its clock's text at the top left.
		const all = g.getImageData(0, 0, c.width, c.height).data;
		let sum = 0;
		for (let i = 0; i < all.length; i += 97)
			sum = (sum * 31 + all[i]) >>> 0;
		return {bars, sum, w: c.width, h: c.height};
	});
}

// H.264 through WebCodecs: the switch, the canvas shows the bars in their
// colours and changes, the readout says H.264 with bitrate and decode
// time, the choice is remembered across a reload, the mouse maps the canvas.
scenarios['video-h264'] = async (ctx) => {
	const page = await open(ctx);
	const support = await page.evaluate(async () => typeof VideoDecoder === 'undefined' ? 'none' :
		(await VideoDecoder.isConfigSupported({codec: 'avc1.42C01F', avc: {format: 'annexb'}})).supported);
	assert.equal(support, true, `this Chromium cannot decode H.264 with WebCodecs: ${support}`);
	await page.locator('#video-mode').click();
	const canvas = page.locator('#video-h264');
	await until('H.264 frames', async () => Number(await canvas.getAttribute('data-frames')) > 10);
	assert.ok(await page.locator('#video').isHidden(), 'the MJPEG <img> still shows');
	const a = await canvasBars(page);
	assert.deepEqual([a.w, a.h], [1280, 720]);
	a.bars.forEach((px, i) => px.forEach((v, ch) => assert.ok(Math.abs(v - BARS[i][ch]) <= 24,
		`bar ${i} is ${px}, want ${BARS[i]}`)));
	await shot(page, 'video-h264', canvas);
	await sleep(1000);
	const b = await canvasBars(page);
	assert.notEqual(a.sum, b.sum, 'the H.264 picture does not change');
	const ro = await until('the H.264 readout', async () => {
		const t = await page.locator('#video-readout').textContent();
		return /^H\.264 · 1280x720 · \d+ fps · [\d.]+ Mbit\/s · decode [\d.]+ ms/.test(t) ? t : null;
	});
	console.log(`readout: ${ro}`);
	const r = await page.evaluate(() => window.kvm.video.rect());
	assert.ok(Math.abs(r.width / r.height - 1280 / 720) < 0.01, `picture rect ${JSON.stringify(r)}`);
	await page.reload();
	await until('H.264 again after a reload', async () =>
		Number(await page.locator('#video-h264').getAttribute('data-frames')) > 3);
	assert.equal(await page.locator('#video-mode').getAttribute('aria-pressed'), 'true');
	await page.locator('#video-mode').click();
	await until('MJPEG again', async () => !(await page.locator('#video').isHidden()) &&
		/^MJPEG/.test(await page.locator('#video-readout').textContent()));
	assert.deepEqual(page.errors, []);
};

// Without WebCodecs the H.264 choice falls back to MJPEG and says so.
scenarios['video-h264-fallback'] = async (ctx) => {
	await ctx.addInitScript(() => {
		localStorage.setItem('kvm.video.mode', 'h264');
		delete window.VideoDecoder;
	});
	const page = await open(ctx);
	assert.ok(await page.locator('#video-h264').isHidden(), 'the canvas shows without a decoder');
	const t = await until('the fallback readout', async () => {
		const text = await page.locator('#video-readout').textContent();
		return /H\.264 unavailable \(this browser has no WebCodecs VideoDecoder\): showing MJPEG/.test(text) ? text : null;
	});
	console.log(`readout: ${t}`);
	assert.deepEqual(page.errors, []);
};

// An H.264 stream that never brings a picture (a WebSocket that opens and
// stays silent, played by the test): MJPEG after 5 s, and the reason.
scenarios['video-h264-stall'] = async (ctx) => {
	await ctx.addInitScript(() => {
		localStorage.setItem('kvm.video.mode', 'h264');
		const Real = window.WebSocket;
		window.WebSocket = class extends EventTarget {
			constructor(url) {
				if (!url.endsWith('/api/video/h264'))
					return new Real(url);
				super();
				this.readyState = 1;
			}
			close() { this.readyState = 3; }
		};
	});
	const page = await open(ctx);
	const t = await until('the stall readout', async () => {
		const text = await page.locator('#video-readout').textContent();
		return /H\.264 unavailable \(no H\.264 frame for 5 s\): showing MJPEG/.test(text) ? text : null;
	});
	console.log(`readout: ${t}`);
	assert.ok(await page.locator('#video-h264').isHidden());
	assert.deepEqual(page.errors, []);
};

// Every absolute-mouse report hidd wrote: [buttons, x, y, wheel, hwheel].
function mouseReports() {
	const text = fs.readFileSync(path.join(STATE, 'logs', 'hid-reports.log'), 'utf8');
	const out = [];
	for (const line of text.split('\n')) {
		const m = /^\S+ hidg1 mouse: ((?:[0-9a-f]{2} ?){7})/.exec(line);
		if (!m)
			continue;
		const b = m[1].trim().split(' ').map((h) => parseInt(h, 16));
		out.push([b[0], b[1] | (b[2] << 8), b[3] | (b[4] << 8),
			(b[5] << 24) >> 24, (b[6] << 24) >> 24]);
	}
	return out;
}

// The absolute mouse maps the picture, not the letterboxed element.
scenarios['mouse'] = async (ctx) => {
	const page = await open(ctx);
	const r = await page.evaluate(() => window.kvm.video.rect());
	const box = await page.locator('#console').boundingBox();
	assert.ok(r.top - box.y > 20, `no letterbox to test: ${JSON.stringify([r, box])}`);
	await page.evaluate(() => {
		window.moves = [];
		document.getElementById('console').addEventListener('mousemove', (e) => window.moves.push([e.clientX, e.clientY]));
	});
	const near = (a, b, what) => assert.ok(Math.abs(a - b) <= 200, `${what}: ${a}, want about ${b}`);
	const last = async (what, fn) => until(what, () => {
		const all = mouseReports();
		return all.length && fn(all.at(-1)) ? all.at(-1) : null;
	}, 10000, 50).catch(async (e) => {
		const now = await page.evaluate(() => [window.kvm.video.rect(), window.moves.slice(-3), window.kvm.hid.moveScheduled, window.kvm.hid.move]);
		throw new Error(`${e.message}; last reports ${JSON.stringify(mouseReports().slice(-3))}, ` +
		    `picture then ${JSON.stringify(r)}, now ${JSON.stringify(now)}`);
	});
	// A quarter across, three quarters down the picture.
	await page.mouse.move(r.left + r.width / 4, r.top + r.height * 3 / 4);
	let m = await last('the move', (x) => Math.abs(x[1] - 8192) < 400);
	near(m[1], 8192, 'x');
	near(m[2], 24575, 'y');
	// In the black bar above the picture: y clamps to the top edge.
	await page.mouse.move(r.left + r.width / 2, box.y + 5);
	m = await last('the move into the bar', (x) => Math.abs(x[1] - 16384) < 400);
	assert.equal(m[2], 0, `y in the letterbox: ${m}`);
	// The picture's bottom right corner is 32767, 32767.
	await page.mouse.move(r.left + r.width - 0.5, r.top + r.height - 0.5);
	m = await last('the corner', (x) => x[1] > 30000);
	near(m[1], 32767, 'x');
	near(m[2], 32767, 'y');
	// Buttons: left, right, middle; the wheel.
	const from = mouseReports().length;
	await page.mouse.move(r.left + r.width / 2, r.top + r.height / 2);
	for (const [button, bit] of [['left', 1], ['right', 2], ['middle', 4]]) {
		await page.mouse.down({button});
		await last(`${button} down`, (x) => x[0] === bit);
		await page.mouse.up({button});
		await last(`${button} up`, (x) => x[0] === 0);
	}
	await page.mouse.wheel(0, 100);
	await until('a wheel report', () => mouseReports().slice(from).some((x) => x[3] !== 0), 10000, 50);
	const wheel = mouseReports().slice(from).find((x) => x[3] !== 0);
	assert.equal(Math.abs(wheel[3]), 1, `one notch: ${wheel}`);
	assert.deepEqual(page.errors, []);
};

// capd says the capture has no signal: the page says so, with the reason.
// (The demo's test pattern never loses its signal: /state is played here.)
scenarios['video-nosignal'] = async (ctx) => {
	const page = await open(ctx);
	await page.route('**/api/video/state', (route) => route.fulfill({
		status: 200, contentType: 'application/json',
		body: JSON.stringify({ok: true, result: {source: '/dev/video0', online: false,
			reason: 'no signal on the HDMI input (cable unplugged?)', resolution: '1280x720',
			width: 1280, height: 720, format: 'none', fps: 30, captured_fps: 0}}),
	}));
	const overlay = page.locator('#video-overlay');
	await until('the no-signal overlay', () => overlay.isVisible());
	assert.equal(await overlay.textContent(),
	    'No signal: no signal on the HDMI input (cable unplugged?)');
	assert.match(await page.locator('#video-readout').textContent(), /no signal/);
	await shot(page, 'video-nosignal');
	await page.unroute('**/api/video/state');
	await until('the overlay gone', () => overlay.isHidden());
	assert.deepEqual(page.errors, []);
};

// A hidden tab takes no frames; shown again, the picture moves again.
scenarios['video-hidden'] = async (ctx) => {
	const page = await open(ctx);
	const frames = async () => Number(await page.locator('#video').getAttribute('data-frames'));
	const hide = (hidden) => page.evaluate((h) => {
		Object.defineProperty(document, 'hidden', {value: h, configurable: true});
		document.dispatchEvent(new Event('visibilitychange'));
	}, hidden);
	await hide(true);
	const overlay = page.locator('#video-overlay');
	await until('the paused overlay', async () => (await overlay.getAttribute('data-kind')) === 'paused');
	const n = await frames();
	await sleep(1500);
	assert.ok((await frames()) - n <= 1, 'frames arrived while hidden');
	await until('capd without stream clients', async () =>
		(await api(ctx, 'GET', '/api/video/state')).clients.length === 0, 10000);
	await hide(false);
	await until('frames again', async () => (await frames()) > n + 10);
	assert.ok(await overlay.isHidden());
	assert.deepEqual(page.errors, []);
};

// Keyboard only: Tab to the menu, arrows to "Win", Enter sends it; the
// console is left with Ctrl+Shift+F12.
scenarios['keyboard-nav'] = async (ctx) => {
	const page = await open(ctx);
	const active = () => page.evaluate(() => document.activeElement.id ||
		document.activeElement.textContent);
	for (let i = 0; i < 5 && (await active()) !== 'keys-button'; i++)
		await page.keyboard.press('Tab');
	assert.equal(await active(), 'keys-button');
	await page.keyboard.press('ArrowDown');
	assert.equal(await active(), 'Ctrl+Alt+Del');
	for (let i = 0; i < 6; i++)
		await page.keyboard.press('ArrowDown');
	assert.equal(await active(), 'Win');
	await sleep(300);
	const from = keyboardReports().length;
	await page.keyboard.press('Enter');
	assert.deepEqual(await settledReports(from, 2), [report(0x08), report(0)]);
	assert.equal(await active(), 'console');
	assert.ok(await page.locator('#keys-menu').isHidden());
	// Leaving the console by keyboard sends nothing but the release.
	const from2 = keyboardReports().length;
	await page.keyboard.press('Control+Shift+F12');
	assert.equal(await active(), 'keys-button');
	const sent = (await settledReports(from2, 0)).filter((r) => r !== report(0));
	// Ctrl and Shift went down on the way (the browser cannot know), F12 not.
	for (const r of sent)
		assert.ok(!r.includes(' 45 '), `F12 reached the target: ${sent}`);
	assert.equal(keyboardReports().at(-1), report(0), 'a key is held after leaving');
	assert.deepEqual(page.errors, []);
};

// Typing in the console produces exactly the reports a keyboard sends.
scenarios['keyboard-type'] = async (ctx) => {
	const page = await open(ctx);
	await focusConsole(page);
	const from = keyboardReports().length;
	const want = await typeUS(page, 'Hello, World!');
	const got = await settledReports(from, want.length);
	assert.deepEqual(got, want);
	assert.deepEqual(page.errors, []);
};

// Ctrl+Alt+Del from the menu: pressed in order, released in reverse.
scenarios['keyboard-combo'] = async (ctx) => {
	const page = await open(ctx);
	await focusConsole(page);
	await page.locator('#keys-button').click();
	await sleep(500);       // the console's blur released everything
	const from = keyboardReports().length;
	await page.getByRole('menuitem', {name: 'Ctrl+Alt+Del'}).click();
	const want = [report(0x01), report(0x05), report(0x05, 0x4c), report(0x05),
		report(0x01), report(0x00)];
	const got = await settledReports(from, want.length);
	assert.deepEqual(got, want);
	assert.ok(await page.locator('#console').evaluate((e) => e === document.activeElement),
	    'the console has the focus back after the menu');
	assert.deepEqual(page.errors, []);
};

// A key held while the console loses focus is released on the target.
scenarios['keyboard-blur'] = async (ctx) => {
	const page = await open(ctx);
	await focusConsole(page);
	const from = keyboardReports().length;
	await page.keyboard.down('ShiftLeft');
	await page.keyboard.down('KeyA');
	await settledReports(from, 2);
	let all = keyboardReports();
	assert.equal(all.at(-1), report(0x02, 0x04), 'Shift+A held');
	await page.locator('#paste-text').focus();     // blur: nothing held
	await until('the release report', () => keyboardReports().at(-1) === report(0));
	all = await settledReports(from, 3);
	assert.equal(all.at(-1), report(0), 'a key is still held after the blur');
	await page.keyboard.up('KeyA');
	await page.keyboard.up('ShiftLeft');
	// Hiding the tab releases too.
	await focusConsole(page);
	const from2 = keyboardReports().length;
	await page.keyboard.down('KeyB');
	await settledReports(from2, 1);
	assert.equal(keyboardReports().at(-1), report(0, 0x05));
	await page.evaluate(() => {
		Object.defineProperty(document, 'hidden', {value: true, configurable: true});
		document.dispatchEvent(new Event('visibilitychange'));
	});
	await until('the release after hiding', () => keyboardReports().at(-1) === report(0));
	await page.keyboard.up('KeyB');
	assert.deepEqual(page.errors, []);
};

// The target's keyboard LEDs (its output report, written to the FIFO the
// demo's hidd reads) are shown.
scenarios['leds'] = async (ctx) => {
	const page = await open(ctx);
	const leds = async () => Promise.all(['num', 'caps', 'scroll'].map((n) =>
		page.locator(`#led-${n}`).getAttribute('data-on')));
	const fifo = path.join(STATE, 'hid', 'leds');
	fs.writeFileSync(fifo, Buffer.from([0x02]));           // Caps Lock
	await until('Caps lit', async () => (await leds()).join() === '0,1,0');
	assert.match(await page.locator('#led-caps').getAttribute('title'), /Caps Lock: on/);
	await shot(page, 'leds-caps');
	fs.writeFileSync(fifo, Buffer.from([0x05]));           // Num + Scroll
	await until('Num and Scroll lit', async () => (await leds()).join() === '1,0,1');
	assert.deepEqual(page.errors, []);
};

// Paste '@' on a German layout: AltGr (Right Alt, 0x40) + Q (0x14).
scenarios['paste-de'] = async (ctx) => {
	const page = await open(ctx);
	await until('the layout list', async () =>
		(await page.locator('#paste-layout option').count()) > 10);
	await page.locator('#paste-layout').selectOption('de');
	await page.locator('#paste-text').fill('@');
	await sleep(300);
	const from = keyboardReports().length;
	await page.locator('#paste-send').click();
	await until('the paste to finish', async () =>
		/Typed 1 characters? \(de\)/.test(await page.locator('#paste-msg').textContent()));
	const got = await settledReports(from, 2);
	console.log(`reports: ${JSON.stringify(got)}`);
	// AltGr down, Q down, Q up, AltGr up: as a person types it.
	assert.deepEqual(got, [report(0x40), report(0x40, 0x14), report(0x40), report(0)]);
	assert.equal(await page.locator('#paste-progress').evaluate((e) => e.value), 1);
	await shot(page, 'paste-de');
	assert.deepEqual(page.errors, []);
};

// A character the layout cannot type: refused whole, named, nothing typed.
scenarios['paste-refused'] = async (ctx) => {
	const page = await open(ctx);
	await until('the layout list', async () =>
		(await page.locator('#paste-layout option').count()) > 10);
	await page.locator('#paste-layout').selectOption('us');
	await page.locator('#paste-text').fill('ok Ж');
	await sleep(300);
	const from = keyboardReports().length;
	await page.locator('#paste-send').click();
	const msg = page.locator('#paste-msg');
	await until('the refusal', async () => (await msg.getAttribute('data-kind')) === 'error');
	const text = await msg.textContent();
	assert.match(text, /cannot type/);
	assert.match(text, /Ж|U\+0416/);
	assert.ok(await msg.isVisible());
	await shot(page, 'paste-refused');
	await sleep(500);
	assert.deepEqual(keyboardReports().slice(from), [], 'a refused paste typed something');
};

// A long paste shows its progress and can be cancelled; nothing stays held.
scenarios['paste-cancel'] = async (ctx) => {
	const page = await open(ctx);
	await until('the layout list', async () =>
		(await page.locator('#paste-layout option').count()) > 10);
	await page.locator('#paste-layout').selectOption('us');
	await page.locator('#paste-text').fill('The quick brown fox jumps over the lazy dog. '.repeat(20));
	await sleep(300);
	const from = keyboardReports().length;
	await page.locator('#paste-send').click();
	const msg = page.locator('#paste-msg');
	await until('typing progress', async () => {
		const m = /^Typing (\d+) of (\d+) keystrokes \(us\)/.exec(await msg.textContent());
		return m && Number(m[1]) > 0 && Number(m[1]) < Number(m[2]);
	}, 20000, 20);
	const bar = await page.locator('#paste-progress').evaluate((e) => e.value);
	assert.ok(bar > 0 && bar < 1, `progress bar at ${bar}`);
	await shot(page, 'paste-typing');
	assert.ok(await page.locator('#paste-cancel').isEnabled());
	await page.locator('#paste-cancel').click();
	await until('the cancellation', async () =>
		/^Cancelled after \d+ of \d+ keystrokes\./.test(await msg.textContent()));
	const got = await settledReports(from, 2);
	assert.equal(got.at(-1), report(0), 'a key is held after the cancel');
	assert.ok(got.length < 900 * 2, `${got.length} reports: the cancel did not stop it`);
	assert.ok(await page.locator('#paste-send').isEnabled());
	assert.deepEqual(page.errors, []);
};

// Relative mouse under pointer lock: movements arrive as deltas.
scenarios['mouse-relative'] = async (ctx) => {
	const page = await open(ctx);
	const rel = () => fs.readFileSync(path.join(STATE, 'logs', 'hid-reports.log'), 'utf8')
		.split('\n').filter((l) => / hidg2 relmouse: /.test(l))
		.map((l) => /relmouse: ((?:[0-9a-f]{2} ?){4})/.exec(l)[1].trim().split(' ')
			.map((h) => (parseInt(h, 16) << 24) >> 24));
	await page.locator('#mouse-relative').check();
	const box = await page.locator('#console').boundingBox();
	await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
	await page.mouse.down();
	await page.mouse.up();
	await until('pointer lock', () => page.evaluate(() =>
		document.pointerLockElement === document.getElementById('console')), 5000);
	const from = rel().length;
	await page.mouse.move(box.x + box.width / 2 + 30, box.y + box.height / 2 - 20);
	await until('a relative report', () => rel().slice(from).some((r) => r[1] || r[2]));
	const sum = rel().slice(from).reduce((a, r) => [a[0] + r[1], a[1] + r[2]], [0, 0]);
	assert.deepEqual(sum, [30, -20]);
	assert.deepEqual(page.errors, []);
};

// Upload with progress and speed, mount as CD, eject, delete.
scenarios['media'] = async (ctx) => {
	const page = await open(ctx);
	const size = 4 * 1024 * 1024;
	const data = Buffer.alloc(size);
	for (let i = 0; i < size; i += 4096)
		data.writeUInt32LE(i, i);
	// Slow the upload down so there is progress to see (4 MB/s).
	const cdp = await ctx.newCDPSession(page);
	await cdp.send('Network.enable');
	await cdp.send('Network.emulateNetworkConditions', {offline: false, latency: 0,
		downloadThroughput: -1, uploadThroughput: 4 * 1024 * 1024});
	await page.locator('#upload-file').setInputFiles({name: 'test.iso',
		mimeType: 'application/octet-stream', buffer: data});
	// Every text the upload message shows, as it shows it.
	await page.evaluate(() => {
		const el = document.getElementById('upload-msg');
		window.uploadTexts = [];
		new MutationObserver(() => window.uploadTexts.push(el.textContent))
			.observe(el, {childList: true, characterData: true, subtree: true});
	});
	await page.locator('#upload-send').click();
	const bar = page.locator('#upload-progress');
	const mid = await until('progress between 0 and 100 %', async () => {
		const texts = await page.evaluate(() => window.uploadTexts);
		return texts.find((t) => /\((?:[1-9]|[1-9]\d) %\) at [\d.]+ (B|KiB|MiB)\/s/.test(t));
	}, 10000, 20);
	console.log(`seen during the upload: ${mid}`);
	assert.match(mid, /^test\.iso: [\d.]+ (B|KiB|MiB) of 4\.0 MiB/);
	await shot(page, 'media-uploading');
	await until('the upload to finish', async () =>
		/^Uploaded test\.iso/.test(await page.locator('#upload-msg').textContent()), 20000);
	assert.deepEqual(await bar.evaluate((e) => [e.value, e.max]), [size, size]);
	await cdp.send('Network.emulateNetworkConditions', {offline: false, latency: 0,
		downloadThroughput: -1, uploadThroughput: -1});
	const row = page.locator('#media-list tr[data-image="test.iso"]');
	// The list refreshes on its own after the upload's answer: on a slow
	// board the row may still show the upload under way for a moment.
	await until('the image in the list, whole', async () => await row.isVisible() &&
		/4\.0 MiB/.test(await row.textContent()) && !/uploading/.test(await row.textContent()));
	const stored = fs.readFileSync(path.join(STATE, 'media', 'images', 'test.iso'));
	assert.ok(stored.equals(data), 'the stored image differs from the file');

	// Mount as CD (read-only is implied and locked on).
	assert.ok(await page.locator('#media-cdrom').isChecked());
	await row.getByRole('button', {name: 'Mount test.iso'}).click();
	await until('mounted', async () =>
		/Mounted: test\.iso as CD-ROM, read-only/.test(await page.locator('#media-state').textContent()));
	const lun = (f) => fs.readFileSync(path.join(STATE, 'media', 'lun.0', f), 'utf8').trim();
	assert.match(lun('file'), /test\.iso$/);
	assert.equal(lun('cdrom'), '1');
	assert.equal(lun('ro'), '1');
	await shot(page, 'media-mounted');

	// Delete while mounted is refused, in words.
	await row.getByRole('button', {name: 'Delete test.iso'}).click();
	await page.locator('#confirm-ok').click();
	await until('the refusal', async () =>
		/mounted.*eject it first/.test(await page.locator('#media-msg').textContent()));

	// A real target (the appliance's) locks the tray once it has seen the
	// medium (udev's cdrom_id --lock-media), sooner or later: then the eject
	// is refused in words, the page offers force, and force takes it out.
	// A directory LUN never locks.
	const state = () => page.locator('#media-state').textContent();
	const force = page.locator('#media-force-label');
	await page.locator('#media-eject').click();
	await until('ejected, or refused as locked by the target', async () =>
		/^Nothing mounted\./.test(await state()) || await force.isVisible());
	if (await force.isVisible()) {
		assert.match(await page.locator('#media-msg').textContent(), /locked by the target/);
		console.log('the target locked the tray: ejecting with force');
		await page.locator('#media-force').check();
		await page.locator('#media-eject').click();
		await until('ejected with force', async () => /^Nothing mounted\./.test(await state()));
	}
	assert.equal(lun('file'), '');

	// Delete asks first; Cancel keeps the image.
	await row.getByRole('button', {name: 'Delete test.iso'}).click();
	await until('the dialog', () => page.locator('#confirm').isVisible());
	await page.locator('#confirm button[value=cancel]').click();
	await sleep(500);
	assert.ok(fs.existsSync(path.join(STATE, 'media', 'images', 'test.iso')));
	await row.getByRole('button', {name: 'Delete test.iso'}).click();
	await page.locator('#confirm-ok').click();
	await until('the image gone from the list', async () => !(await row.count()));
	assert.ok(!fs.existsSync(path.join(STATE, 'media', 'images', 'test.iso')));
	// The browser logs the 409 of the refused delete; nothing else failed.
	assert.deepEqual(page.errors.filter((e) => !/status of 409/.test(e)), []);
};

// The page's answer to "locked by the target": force is offered and sent.
// (A directory LUN cannot lock, so mediad's 409 is played by the test.)
scenarios['media-locked'] = async (ctx) => {
	const page = await open(ctx);
	await page.route('**/api/media/state', (route) => route.fulfill({
		status: 200, contentType: 'application/json',
		body: JSON.stringify({ok: true, result: {luns: [{lun: 0, mounted: true,
			image: 'installer.iso', cdrom: true, readonly: true,
			locked_by_target: true}]}}),
	}));
	const bodies = [];
	await page.route('**/api/media/eject', async (route) => {
		bodies.push(route.request().postDataJSON());
		if (bodies.length === 1)
			await route.fulfill({status: 409, contentType: 'application/json',
				body: JSON.stringify({ok: false, error: {code: 'busy',
					message: 'locked by the target: it keeps the drive\'s door closed'}})});
		else
			await route.fulfill({status: 200, contentType: 'application/json',
				body: JSON.stringify({ok: true, result: {}})});
	});
	await until('the mounted image', async () =>
		/installer\.iso as CD-ROM, read-only — locked by the target/.test(
			await page.locator('#media-state').textContent()));
	assert.ok(await page.locator('#media-force-label').isHidden());
	await page.locator('#media-eject').click();
	await until('the force option', () => page.locator('#media-force-label').isVisible());
	assert.match(await page.locator('#media-msg').textContent(), /locked by the target/);
	await shot(page, 'media-locked');
	await page.locator('#media-force').check();
	await page.locator('#media-eject').click();
	await until('the forced eject', async () =>
		(await page.locator('#media-msg').textContent()) === 'Ejected (forced).');
	assert.deepEqual(bodies, [{}, {force: true}]);
};

// Reset asks first (Cancel presses nothing), then reaches gpiod-ctl.
scenarios['power'] = async (ctx) => {
	const page = await open(ctx);
	await api(ctx, 'POST', '/api/gpio/test/input', {line: 'power-led', value: 1});
	await until('the power LED lit', async () =>
		(await page.locator('#led-power').getAttribute('data-on')) === '1');
	const pressed = async () => (await api(ctx, 'GET', '/api/gpio/test/history?line=reset-button'))
		.samples.filter((s) => s.value === 1).length;
	const before = await pressed();
	await page.getByRole('button', {name: 'Reset'}).click();
	const dlg = page.locator('#confirm');
	await until('the dialog', () => dlg.isVisible());
	assert.match(await dlg.textContent(), /reset button/);
	await shot(page, 'power-confirm');
	await page.locator('#confirm button[value=cancel]').click();
	await sleep(1000);
	assert.equal(await pressed(), before, 'Cancel pressed the button');
	await page.getByRole('button', {name: 'Reset'}).click();
	await until('the dialog', () => dlg.isVisible());
	await page.locator('#confirm-ok').click();
	await until('the press to finish', async () =>
		/Reset: done/.test(await page.locator('#power-msg').textContent()));
	assert.equal(await pressed(), before + 1);
	const st = await api(ctx, 'GET', '/api/gpio/state');
	assert.equal(st.atx.last_action.action, 'reset');
	// A refusal is shown in words: "on" while the LED says on.
	await sleep(1200);    // the lockout after a press
	await page.getByRole('button', {name: 'On', exact: true}).click();
	await until('the refusal', async () =>
		(await page.locator('#power-msg').getAttribute('data-kind')) === 'error');
	assert.match(await page.locator('#power-msg').textContent(), /^on: .{10,}/);
	// The browser logs the 409 it was answered; nothing else went wrong.
	assert.deepEqual(page.errors.filter((e) => !/status of 409/.test(e)), []);
};

// hidd killed mid-session: the page says reconnecting, then types again.
scenarios['restart-hidd'] = async (ctx) => {
	const page = await open(ctx);
	const status = page.locator('#hid-status');
	const old = pids().hidd;
	process.kill(old, 'SIGKILL');
	await until('reconnecting', async () => (await status.getAttribute('data-kind')) === 'reconnecting', 5000, 20);
	assert.match(await status.textContent(), /reconnecting in [\d.]+ s: /);
	await shot(page, 'restart-hidd-reconnecting');
	await until('a new hidd', () => pids().hidd !== old);
	await until('connected again', async () => (await status.getAttribute('data-kind')) === 'ok', 15000);
	await focusConsole(page);
	const from = keyboardReports().length;
	const want = await typeUS(page, 'Ok');
	assert.deepEqual(await settledReports(from, want.length), want);
};

// capd killed mid-session: the picture says reconnecting, then moves again.
scenarios['restart-capd'] = async (ctx) => {
	const page = await open(ctx);
	const overlay = page.locator('#video-overlay');
	const old = pids().capd;
	process.kill(old, 'SIGKILL');
	await until('reconnecting', async () => (await overlay.getAttribute('data-kind')) === 'reconnecting', 8000, 20);
	assert.match(await overlay.textContent(), /Reconnecting in [\d.]+ s: .+/);
	await shot(page, 'restart-capd-reconnecting');
	await until('the overlay gone', () => overlay.isHidden(), 20000);
	const n = Number(await page.locator('#video').getAttribute('data-frames'));
	await until('new frames', async () =>
		Number(await page.locator('#video').getAttribute('data-frames')) > n + 10);
	assert.notEqual(pids().capd, old);
};

// The on-screen keyboard at a phone's size, with touch: taps become the
// exact reports of a keyboard.  It runs in a browser context of its own
// (360x740, hasTouch, isMobile); screenshots osk-desktop.png (from the
// test's usual 1366x768 context) and osk-phone.png.
scenarios['osk'] = async (ctx) => {
	// Desktop: the button opens it; a screenshot of the whole page, on de.
	const desk = await open(ctx);
	await desk.locator('#osk-button').click();
	await until('the keyboard', () => desk.locator('#osk [data-code="KeyQ"]').isVisible());
	await until('the layout list', async () =>
		(await desk.locator('#paste-layout option').count()) > 10);
	await desk.locator('#paste-layout').selectOption('de');
	await until('the de legends', async () =>
		(await desk.locator('#osk [data-code="KeyY"]').textContent()) === 'z');
	await shot(desk, 'osk-desktop');
	await desk.close();

	await onPhone({width: 360, height: 740}, 'osk-phone', {}, async (phone) => {
		const page = await open(phone);
		const osk = page.locator('#osk');
		assert.ok(await osk.isHidden(), 'the keyboard is open before any tap');
		// A tap on the picture opens it (and clicks there on the target).
		const box = await page.locator('#console').boundingBox();
		await page.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
		await until('the keyboard after a tap on the picture', () => osk.isVisible(), 5000);
		const key = (code) => page.locator(`#osk [data-code="${code}"]`);
		// Every key a finger can hit is at least 40 px a side.
		const small = await page.locator('#osk button').evaluateAll((bs) => bs
			.filter((b) => b.offsetParent !== null)
			.map((b) => [b.dataset.code || b.textContent, b.getBoundingClientRect()])
			.filter(([, r]) => r.width < 40 || r.height < 40)
			.map(([n, r]) => `${n} ${r.width}x${r.height}`));
		assert.deepEqual(small, [], 'keys smaller than 40 px at 360x740');
		const right = await page.locator('#osk').evaluate((e) => e.getBoundingClientRect().right);
		assert.ok(right <= 360, `the keyboard is wider than the phone: right edge ${right}`);
		await sleep(500);

		// A letter: KeyA is 04, down and up.
		let from = keyboardReports().length;
		await key('KeyA').tap();
		assert.deepEqual(await settledReports(from, 2), [report(0, 0x04), report(0)]);

		// Ctrl, Alt (latched), Del on the second panel: Ctrl+Alt+Del's reports.
		await key('ControlLeft').tap();
		await sleep(DOUBLE_TAP_GAP);
		await key('AltLeft').tap();
		assert.equal(await key('ControlLeft').getAttribute('data-state'), 'latched');
		await page.locator('#osk .osk-tab[data-panel=fn]').tap();
		from = keyboardReports().length;
		await key('Delete').tap();
		assert.deepEqual(await settledReports(from, 6), [report(0x01), report(0x05),
			report(0x05, 0x4c), report(0x05), report(0x01), report(0)]);
		// Latched: released after one key; the next key is alone.
		assert.equal(await key('ControlLeft').getAttribute('data-state'), 'off');
		from = keyboardReports().length;
		await key('F5').tap();
		assert.deepEqual(await settledReports(from, 2), [report(0, 0x3e), report(0)]);

		// Shift latched: the legends turn to the shifted ones, one capital.
		await page.locator('#osk .osk-tab[data-panel=main]').tap();
		await key('ShiftLeft').tap();
		assert.equal(await key('KeyB').textContent(), 'B');
		from = keyboardReports().length;
		await key('KeyB').tap();
		await key('KeyC').tap();
		assert.deepEqual(await settledReports(from, 6), [report(0x02), report(0x02, 0x05),
			report(0x02), report(0), report(0, 0x06), report(0)]);
		assert.equal(await key('KeyB').textContent(), 'b');

		// Shift locked (a double tap): it stays for every key until tapped.
		await key('ShiftLeft').tap();
		await key('ShiftLeft').tap();
		assert.equal(await key('ShiftLeft').getAttribute('data-state'), 'locked');
		from = keyboardReports().length;
		await key('KeyD').tap();
		await key('KeyE').tap();
		assert.deepEqual(await settledReports(from, 8), [report(0x02), report(0x02, 0x07),
			report(0x02), report(0), report(0x02), report(0x02, 0x08), report(0x02), report(0)]);
		assert.equal(await key('ShiftLeft').getAttribute('data-state'), 'locked');
		await key('ShiftLeft').tap();
		assert.equal(await key('ShiftLeft').getAttribute('data-state'), 'off');

		// The target's layout: on "de" Z and Y swap places; the key sent
		// is the physical one (KeyY, 1c) under the legend "z".
		await until('the layout list', async () =>
			(await page.locator('#paste-layout option').count()) > 10);
		await page.locator('#paste-layout').selectOption('de');
		await until('the de legends', async () => (await key('KeyY').textContent()) === 'z');
		assert.equal(await key('KeyZ').textContent(), 'y');
		assert.equal(await page.locator('#osk [aria-label="z"]').getAttribute('data-code'), 'KeyY');
		from = keyboardReports().length;
		await page.locator('#osk [aria-label="z"]').tap();
		assert.deepEqual(await settledReports(from, 2), [report(0, 0x1c), report(0)]);
		await page.locator('#paste-layout').selectOption('us');
		await until('the us legends', async () => (await key('KeyY').textContent()) === 'y');

		// The picture and the keyboard under it, as a phone shows them.
		await page.locator('#console').evaluate((e) => e.scrollIntoView({block: 'start'}));
		await sleep(300);
		await shot(page, 'osk-phone');
		// Closed by its button, a tap on the picture no longer opens it.
		await page.locator('#osk .osk-close').tap();
		assert.ok(await osk.isHidden());
		await page.touchscreen.tap(box.x + box.width / 2, box.y + 20);
		await sleep(500);
		assert.ok(await osk.isHidden(), 'a closed keyboard came back on a tap');
		assert.deepEqual(page.errors, []);
	});
};
const DOUBLE_TAP_GAP = 600;     // more than osk.js's DOUBLE_TAP_MS

// A macro recorded from the page's key events, saved under a name, played
// from the Send keys menu: hidd types exactly what was recorded.
scenarios['macro-record'] = async (ctx) => {
	const page = await open(ctx);
	page.on('dialog', (d) => d.accept('ab test'));
	await page.locator('#macro-record').click();
	await focusConsole(page);
	await page.keyboard.down('KeyA');
	await page.keyboard.up('KeyA');
	await page.keyboard.down('KeyB');
	await page.keyboard.up('KeyB');
	await page.locator('#macro-record').click();
	await until('the macro in the menu', async () =>
	    (await page.locator('[data-macro="ab test"]').count()) === 1);
	await page.locator('#keys-button').click();
	await sleep(500);
	const from = keyboardReports().length;
	await page.getByRole('menuitem', {name: 'Macro: ab test'}).click();
	const want = [report(0, 0x04), report(0), report(0, 0x05), report(0)];
	assert.deepEqual(await settledReports(from, want.length), want);
	const m = await api(ctx, 'GET', '/api/hid/macros/ab%20test');
	assert.deepEqual(m.steps.filter((x) => x.key),
	    [{key: 'KeyA', down: true}, {key: 'KeyA', down: false},
		{key: 'KeyB', down: true}, {key: 'KeyB', down: false}]);
	assert.deepEqual(page.errors, []);
};

// The jiggler switch is hidd's jiggler.
scenarios['jiggler'] = async (ctx) => {
	const page = await open(ctx);
	assert.equal(await page.locator('#jiggler').isChecked(), false, 'off by default');
	await page.locator('#jiggler').check();
	await until('the jiggler on', async () =>
	    (await api(ctx, 'GET', '/api/hid/state')).jiggler.enabled === true);
	await page.locator('#jiggler').uncheck();
	await until('the jiggler off', async () =>
	    (await api(ctx, 'GET', '/api/hid/state')).jiggler.enabled === false);
	assert.deepEqual(page.errors, []);
};

// --------------------------------------------------------------- read text

// The word "FRAME" that capd's test pattern (bars) draws at the start of
// its counter line, in frame pixels, with a margin of a glyph pixel or two
// around it: capd/pattern.c's pattern_layout_for() (5x7 glyphs FONT_W + 1
// = 6 columns apart, scaled by s; the space after the word leaves 7 s).
// capd's font reads 0 as 8 and V as U (ocrd/README.md): the word is read
// exactly, the frame number after it is not.
function frameWord(w, h) {
	const bars = Math.floor(h * 2 / 3);
	const cell = Math.max(4, Math.min(Math.floor(w / 40), Math.floor((h - bars) / 5)));
	const textY = bars + cell + cell + Math.floor(cell / 2);
	const boxY = h - Math.floor(cell / 2) - 2 * cell;
	const room = Math.max(0, boxY - textY - Math.floor(cell / 2));
	const s = Math.min(Math.floor((w - 2 * cell) / (29 * 6)), Math.floor(room / 7));
	return {x: cell - s, y: textY - s, w: 32 * s, h: 9 * s};
}

// Every mouse report hidd wrote (absolute and relative).
function anyMouseReports() {
	const text = fs.readFileSync(path.join(STATE, 'logs', 'hid-reports.log'), 'utf8');
	return text.split('\n').filter((l) => /^\S+ hidg[12] (mouse|relmouse):/.test(l));
}

// A region of the frame as client pixels over the picture shown.
async function clientBox(page, reg) {
	const {r, w, h} = await page.evaluate(() => ({r: window.kvm.video.rect(),
		w: window.kvm.video.width, h: window.kvm.video.height}));
	const sx = r.width / w, sy = r.height / h;
	return {x0: r.left + reg.x * sx, y0: r.top + reg.y * sy,
		x1: r.left + (reg.x + reg.w) * sx, y1: r.top + (reg.y + reg.h) * sy,
		tol: Math.ceil(2 / sx) + 1, r};
}

// The POST /api/ocr/read bodies the page sends, as they go.
function ocrRequests(page) {
	const sent = [];
	page.on('request', (q) => {
		if (q.url().endsWith('/api/ocr/read'))
			sent.push(JSON.parse(q.postData()));
	});
	return sent;
}

function nearRegion(got, want, tol) {
	for (const k of ['x', 'y', 'w', 'h'])
		assert.ok(Math.abs(got[k] - want[k]) <= tol,
		    `region ${JSON.stringify(got)}, want about ${JSON.stringify(want)} (±${tol})`);
}

// Waits for the panel's message of kind (ok, error), and matching want (a
// RegExp or the whole text) when given; returns its text.
async function ocrMessage(page, kind, want, ms = 30000) {
	return until(`a Read-text message of kind ${kind} ${want || ''}`, async () => {
		const m = page.locator('#ocr-msg');
		if ((await m.getAttribute('data-kind')) !== kind)
			return null;
		const t = await m.textContent();
		return !want || (want instanceof RegExp ? want.test(t) : t === want) ? t : null;
	}, ms);
}

// The mode on: the panel, ocrd's languages in the list, mouse reports
// settled (entering moves the focus off the console: its release).
async function ocrEnter(page, click) {
	await click(page.locator('#ocr-button'));
	assert.ok(await page.locator('#ocr-panel').isVisible(), 'no Read-text panel');
	assert.equal(await page.locator('#ocr-button').getAttribute('aria-pressed'), 'true');
	await until('ocrd\'s languages in the list', () => page.evaluate(() => window.kvm.ocr.langsLoaded));
	const langs = await page.locator('#ocr-lang option').evaluateAll((os) => os.map((o) => o.value));
	const st = await api(page.context(), 'GET', '/api/ocr/state');
	assert.deepEqual(langs, st.languages, 'the list is not ocrd\'s languages');
	assert.ok(langs.includes('eng'), `languages ${langs}`);
	assert.equal(await page.locator('#ocr-lang').inputValue(), 'eng');
	await sleep(500);
}

// Desktop (1280x800, a mouse): a click selects nothing and sends nothing;
// the word FRAME dragged over comes back exactly, in frame pixels through
// the letterboxing; Copy puts it on the clipboard (permission granted),
// and without a clipboard API selects it for Ctrl+C; a language ocrd does
// not have is its 400, shown; a second drag while one reads sends
// nothing (the first held by the test); ocrd busy with another read (capd
// stopped a moment) is its 503 "busy, try again", shown; the H.264
// <canvas> maps the same;
// no mouse report reaches hidd while the mode is on, and Esc (not sent to
// the target) leaves it, after which the mouse reaches the target again.
// Screenshot ocr-desktop.png.
scenarios['ocr'] = async (ctx) => {
	await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], {origin: ORIGIN});
	const page = await open(ctx);
	await page.setViewportSize({width: 1280, height: 800});
	await sleep(300);
	const st = await api(ctx, 'GET', '/api/video/state');
	assert.equal(st.pattern, 'bars', 'the demo shows the bars pattern');
	const word = frameWord(st.width, st.height);
	const sent = ocrRequests(page);
	await ocrEnter(page, (l) => l.click());
	const mice = anyMouseReports().length, keys = keyboardReports().length;

	// A click (no rectangle): nothing sent, a message.
	const b = await clientBox(page, word);
	const con = await page.locator('#console').boundingBox();
	console.log(`ocr: picture ${JSON.stringify(b.r)} in the console ${JSON.stringify(con)}`);
	await page.mouse.move(b.x0, b.y0);
	await page.mouse.down();
	await page.mouse.up();
	await ocrMessage(page, 'error', /^Nothing read: drag a rectangle/);
	await sleep(300);
	assert.equal(sent.length, 0, 'a click sent a request');

	// The word, dragged over: exactly FRAME; the region in frame pixels.
	await page.mouse.move(b.x0, b.y0);
	await page.mouse.down();
	await page.mouse.move((b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2, {steps: 4});
	assert.ok(await page.locator('#ocr-sel').isVisible(), 'no selection rectangle while dragging');
	await page.mouse.move(b.x1, b.y1, {steps: 4});
	await page.mouse.up();
	console.log(`ocr: ${await ocrMessage(page, 'ok', /^Read in \d+ ms \(eng\)\.$/)}`);
	assert.equal(await page.locator('#ocr-text').inputValue(), 'FRAME');
	assert.equal(sent.length, 1);
	nearRegion(sent[0], word, b.tol);
	assert.equal(sent[0].lang, 'eng');
	assert.notEqual(await page.evaluate(() => document.activeElement.id), 'console',
	    'the drag gave the console (the target\'s keyboard) the focus');
	await shot(page, 'ocr-desktop');

	// Copy: the clipboard has it.
	await page.locator('#ocr-copy').click();
	await ocrMessage(page, 'ok', 'Copied to the clipboard.');
	assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'FRAME');

	// Without the clipboard API: the text selected, the words to copy it.
	await page.evaluate(() => Object.defineProperty(navigator, 'clipboard',
		{value: undefined, configurable: true}));
	await page.locator('#ocr-copy').click();
	await ocrMessage(page, 'error', /the text is selected, press Ctrl\+C/);
	assert.equal(await page.evaluate(() => {
		const t = document.getElementById('ocr-text');
		return document.activeElement === t ? t.value.slice(t.selectionStart, t.selectionEnd) : null;
	}), 'FRAME');

	// A language ocrd has not installed: its 400, in its words.
	await page.locator('#ocr-lang').evaluate((s) => s.add(new Option('xx', 'xx')));
	await page.locator('#ocr-lang').selectOption('xx');
	await page.mouse.move(b.x0, b.y0);
	await page.mouse.down();
	await page.mouse.move(b.x1, b.y1, {steps: 4});
	await page.mouse.up();
	const m400 = await ocrMessage(page, 'error', /^Read text: .*"xx"/);
	console.log(`ocr, lang xx: ${m400}`);
	assert.equal(sent.length, 2);
	await page.locator('#ocr-lang').selectOption('eng');

	// One at a time: while the test holds the page's request, a second
	// drag sends nothing and says why; the first one's text then comes.
	let release;
	const held = new Promise((r) => (release = r));
	await page.route('**/api/ocr/read', async (route) => {
		await held;
		await route.continue();
	});
	for (let i = 0; i < 2; i++) {
		await page.mouse.move(b.x0, b.y0);
		await page.mouse.down();
		await page.mouse.move(b.x1, b.y1, {steps: 4});
		await page.mouse.up();
		await until('the first request', () => sent.length === 3);
	}
	await ocrMessage(page, 'error', 'Still reading the last selection: wait for its text.');
	release();
	await ocrMessage(page, 'ok', /^Read in /);
	assert.equal(await page.locator('#ocr-text').inputValue(), 'FRAME');
	await page.unroute('**/api/ocr/read');
	assert.equal(sent.length, 3, 'a second request while one was reading');
	await sleep(300);

	// ocrd busy with someone else's read (the test's, through the API,
	// with capd stopped for a moment so that its snapshot waits): its 503
	// in its words.
	const capd = pids().capd;
	process.kill(capd, 'SIGSTOP');
	let other;
	try {
		other = ctx.request.post(`${ORIGIN}/api/ocr/read`, {headers: {'X-KaputtKVM': '1', Origin: ORIGIN},
			data: {...word, lang: 'eng'}, timeout: 30000});
		await until('ocrd busy', async () => (await api(ctx, 'GET', '/api/ocr/state')).busy, 5000, 50);
		await page.mouse.move(b.x0, b.y0);
		await page.mouse.down();
		await page.mouse.move(b.x1, b.y1, {steps: 4});
		await page.mouse.up();
		const busy = await ocrMessage(page, 'error', /^Read text: busy, try again/, 5000);
		console.log(`ocr, ocrd busy: ${busy}`);
	} finally {
		process.kill(capd, 'SIGCONT');
	}
	assert.equal((await other).status(), 200, 'the other read');
	assert.equal(sent.length, 4);

	// The picture as H.264 in the <canvas>: the same word, the same region.
	await page.locator('#video-mode').click();
	await until('H.264 frames', async () =>
		Number(await page.locator('#video-h264').getAttribute('data-frames')) > 3);
	const h = await clientBox(page, word);
	await page.mouse.move(h.x0, h.y0);
	await page.mouse.down();
	await page.mouse.move(h.x1, h.y1, {steps: 4});
	await page.mouse.up();
	await until('the H.264 read', () => sent.length === 5);
	await ocrMessage(page, 'ok', /^Read in /);
	assert.equal(await page.locator('#ocr-text').inputValue(), 'FRAME');
	nearRegion(sent[4], word, h.tol);

	// No mouse report all along; Esc leaves and is not the target's.
	await sleep(500);
	assert.deepEqual(anyMouseReports().slice(mice), [], 'mouse reports reached hidd in Read-text mode');
	await page.keyboard.press('Escape');
	assert.ok(await page.locator('#ocr-panel').isHidden(), 'Esc did not leave the mode');
	assert.equal(await page.locator('#ocr-button').getAttribute('aria-pressed'), 'false');
	await sleep(500);
	assert.deepEqual(keyboardReports().slice(keys), [], 'keys reached the target');
	// Out of the mode the pointer is the target's again.
	await page.mouse.move(b.r.left + b.r.width / 2, b.r.top + b.r.height / 2, {steps: 3});
	await until('a mouse report after leaving', () => anyMouseReports().length > mice, 10000, 50);
	// Chromium logs the 400 of the language step and ocrd's 503, nothing else
	assert.deepEqual(page.errors, ['Failed to load resource: the server responded with a status of 400 (Bad Request)',
		'Failed to load resource: the server responded with a status of 503 (Service Unavailable)']);
};

// A finger drag on a phone: ocrd's text for the touch path.
async function touchDrag(page, x0, y0, x1, y1, steps = 8) {
	const cdp = await page.context().newCDPSession(page);
	const at = (i) => [{x: x0 + (x1 - x0) * i / steps, y: y0 + (y1 - y0) * i / steps}];
	await cdp.send('Input.dispatchTouchEvent', {type: 'touchStart', touchPoints: at(0)});
	for (let i = 1; i <= steps; i++)
		await cdp.send('Input.dispatchTouchEvent', {type: 'touchMove', touchPoints: at(i)});
	await cdp.send('Input.dispatchTouchEvent', {type: 'touchEnd', touchPoints: []});
	await cdp.detach();
}

// A phone (390x844, touch, a browser context of its own): the mode by a
// tap, FRAME by a finger drag comes back exactly and copies; the drag
// neither reaches hidd nor opens the on-screen keyboard; Done leaves.
// Screenshot ocr-phone.png.
scenarios['ocr-touch'] = async () => {
	const perms = {permissions: ['clipboard-read', 'clipboard-write']};
	await onPhone({width: 390, height: 844}, 'ocr-phone', perms, async (phone) => {
		const page = await open(phone);
		const st = await api(phone, 'GET', '/api/video/state');
		const word = frameWord(st.width, st.height);
		const sent = ocrRequests(page);
		await page.locator('#console').evaluate((e) => e.scrollIntoView({block: 'start'}));
		await sleep(300);
		await ocrEnter(page, (l) => l.tap());
		await page.locator('#console').evaluate((e) => e.scrollIntoView({block: 'start'}));
		await sleep(300);
		const mice = anyMouseReports().length;
		const b = await clientBox(page, word);
		const con = await page.locator('#console').boundingBox();
		assert.ok(b.r.top - con.y > 20, `no letterbox above the picture to test: ${JSON.stringify([b.r, con])}`);
		await touchDrag(page, b.x0, b.y0, b.x1, b.y1);
		console.log(`ocr by touch: ${await ocrMessage(page, 'ok', /^Read in \d+ ms \(eng\)\.$/)}`);
		assert.equal(await page.locator('#ocr-text').inputValue(), 'FRAME');
		assert.equal(sent.length, 1);
		nearRegion(sent[0], word, b.tol);
		await page.locator('#ocr-copy').tap();
		await ocrMessage(page, 'ok', 'Copied to the clipboard.');
		assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'FRAME');
		assert.ok(await page.locator('#osk').isHidden(), 'the drag opened the on-screen keyboard');
		await sleep(500);
		assert.deepEqual(anyMouseReports().slice(mice), [], 'the drag reached hidd');
		await shot(page, 'ocr-phone');
		await page.locator('#ocr-done').tap();
		assert.ok(await page.locator('#ocr-panel').isHidden(), 'Done did not leave the mode');
		assert.deepEqual(page.errors, []);
	});
};

// ------------------------------------------------------------- benchmark

// Benchmarks: not tests (neither meson.build nor the appliance suite,
// which reads the scenarios[] lines, lists them); run.py runs them by name
// as it runs a scenario.  bench-latency: tests/bench/capd-latency-bench.  Latency from capd's capture timestamp to the frame decoded in
// this page, for MJPEG (/api/video/stream: each part's X-Timestamp, the
// JPEG decoded by WebCodecs' ImageDecoder) and H.264 (/api/video/h264: the
// header's capture time, VideoDecoder's output), one after the other, each
// for KVM_LAT_SECONDS (default 20).  Both timestamps are CLOCK_REALTIME in
// microseconds; the page's clock is performance.timeOrigin +
// performance.now(), the same wall clock on the same machine.  The page is
// capd's JSON state, so no <img> of the console page decodes beside us.
async function pageLatency({mode, seconds}) {
	const now = () => (performance.timeOrigin + performance.now()) * 1000;
	const end = performance.now() + seconds * 1000;
	const lat = [];
	if (mode === 'mjpeg') {
		const resp = await fetch('/api/video/stream', {cache: 'no-store'});
		const reader = resp.body.getReader();
		let buf = new Uint8Array(0);
		const text = new TextDecoder('latin1');
		while (performance.now() < end) {
			const {value, done} = await reader.read();
			if (done)
				break;
			const b = new Uint8Array(buf.length + value.length);
			b.set(buf);
			b.set(value, buf.length);
			buf = b;
			for (;;) {
				const head = text.decode(buf.subarray(0, Math.min(buf.length, 512)));
				const he = head.indexOf('\r\n\r\n');
				const len = /Content-Length: (\d+)/.exec(head);
				const ts = /X-Timestamp: (\d+)\.(\d+)/.exec(head);
				if (he < 0 || !len || !ts || buf.length < he + 4 + Number(len[1]))
					break;
				const jpeg = buf.slice(he + 4, he + 4 + Number(len[1]));
				buf = buf.subarray(he + 4 + Number(len[1]));
				const dec = new ImageDecoder({data: jpeg, type: 'image/jpeg'});
				const {image} = await dec.decode();
				lat.push(now() - (Number(ts[1]) * 1e6 + Number(ts[2])));
				image.close();
				dec.close();
			}
		}
		reader.cancel();
		return lat;
	}
	const {codecFromAnnexB} = await import('/js/h264.js');
	return new Promise((resolve, reject) => {
		const sock = new WebSocket(`wss://${location.host}/api/video/h264`);
		const capture = new Map();
		let dec = null;
		sock.binaryType = 'arraybuffer';
		sock.onerror = () => reject(new Error('the H.264 WebSocket failed'));
		sock.onmessage = (ev) => {
			const m = new Uint8Array(ev.data), dv = new DataView(ev.data);
			const au = m.subarray(dv.getUint16(2)), seq = dv.getUint32(8);
			if (!dec) {
				if ((m[1] & 1) === 0)
					return;
				dec = new VideoDecoder({
					output: (f) => {
						lat.push(now() - capture.get(f.timestamp));
						capture.delete(f.timestamp);
						f.close();
						if (performance.now() > end) {
							sock.close();
							resolve(lat);
						}
					},
					error: (e) => reject(e),
				});
				dec.configure({codec: codecFromAnnexB(au), avc: {format: 'annexb'},
					optimizeForLatency: true});
			}
			capture.set(seq, Number(dv.getBigUint64(12)));
			dec.decode(new EncodedVideoChunk({type: (m[1] & 1) ? 'key' : 'delta',
				timestamp: seq, data: au}));
		};
	});
}

// p-th percentile (0..100) of sorted xs, nearest rank.
function percentile(xs, p) {
	return xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(p / 100 * xs.length) - 1))];
}

const benches = {};

// The figures for each pattern (KVM_LAT_PATTERNS, default "bars console",
// set with POST /params), MJPEG then H.264.
benches['bench-latency'] = async (ctx) => {
	const page = await ctx.newPage();
	const seconds = Number(env.KVM_LAT_SECONDS || 20);
	await page.goto(new globalThis.URL('api/video/state', URL).href);
	const res = await page.evaluate(() => {
		let a = performance.now(), b;
		do
			b = performance.now();
		while (b === a);
		return ((b - a) * 1000).toFixed(0);
	});
	console.log(`${seconds} s each; performance.now() resolution ${res} us`);
	console.log('pattern  stream  frames   p50 ms   p99 ms   max ms');
	for (const pattern of (env.KVM_LAT_PATTERNS || 'bars console').split(' ')) {
		await api(ctx, 'POST', '/api/video/params', {pattern});
		const st = await api(ctx, 'GET', '/api/video/state');
		for (const mode of ['mjpeg', 'h264']) {
			const lat = (await page.evaluate(pageLatency, {mode, seconds})).sort((x, y) => x - y);
			assert.ok(lat.length > 0, `no ${mode} frame decoded`);
			console.log(`${st.pattern.padEnd(8)} ${mode.padEnd(6)} ${String(lat.length).padStart(7)} ` +
				[50, 99, 100].map((q) => (percentile(lat, q) / 1000).toFixed(1).padStart(8)).join(' '));
		}
		console.log(`  (${st.resolution}, ${st.fps} fps, MJPEG quality ${st.quality} ` +
			`${st.subsampling}, H.264 ${st.h264.bitrate_kbps} kbit/s)`);
	}
};

// ------------------------------------------------------------------- main

async function main() {
	const name = process.argv[2];
	const fn = scenarios[name] || benches[name];
	if (!fn) {
		console.error(`unknown scenario ${name}; known: ${Object.keys(scenarios).join(' ')}`);
		process.exit(2);
	}
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-chromium-'));
	const ctx = await chromium.launchPersistentContext(profile, {
		executablePath: env.KVM_CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu',
			'--disable-background-networking', '--disable-component-update',
			'--disable-sync', '--no-first-run', '--disable-quic'],
		ignoreHTTPSErrors: true,
		httpCredentials: {username: env.KVM_USER, password: env.KVM_PASSWORD},
		viewport: {width: 1366, height: 768},
	});
	let ok = false;
	try {
		await fn(ctx);
		ok = true;
		console.log(`ok: ${name}`);
	} catch (e) {
		console.error(`FAIL: ${name}: ${e.stack || e}`);
		for (const p of ctx.pages())
			await p.screenshot({path: path.join(ARTIFACTS, `${name}-failure.png`)}).catch(() => {});
	} finally {
		await ctx.close();
		fs.rmSync(profile, {recursive: true, force: true});
	}
	process.exit(ok ? 0 : 1);
}

main();
