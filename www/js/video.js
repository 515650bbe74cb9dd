// video.js -- the live picture: capd's multipart MJPEG stream read with
// fetch() and shown frame by frame in an <img> (so the page knows each
// frame's arrival for the fps readout, sees a stalled or closed stream at
// once and reconnects with backoff), the "no signal" and "reconnecting"
// states with their reason, the snapshot button and fullscreen.  Or, when
// chosen with the mode switch (remembered in localStorage), capd's H.264
// stream decoded into a <canvas> (h264.js); without WebCodecs' H.264, with
// no H.264 encoder in capd, or when that stream fails, the page falls back
// to MJPEG by itself and says why.

import {get} from './api.js';
import {H264View, h264Unsupported} from './h264.js';

const STREAM = '/api/video/stream';
const STALL_MS = 5000;            // no frame this long: reconnect
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
const MODE_KEY = 'kvm.video.mode';

const enc = new TextEncoder();
const HEADER_END = enc.encode('\r\n\r\n');

// Index of needle in hay from start, or -1.
function indexOf(hay, needle, start, end) {
	outer: for (let i = start; i <= end - needle.length; i++) {
		for (let j = 0; j < needle.length; j++)
			if (hay[i + j] !== needle[j])
				continue outer;
		return i;
	}
	return -1;
}

// Splits a multipart byte stream into its parts (by Content-Length).
export class MultipartReader {
	constructor(onPart) {
		this.onPart = onPart;
		this.buf = new Uint8Array(1 << 18);
		this.len = 0;
		this.scanned = 0;
	}

	push(chunk) {
		if (this.len + chunk.length > this.buf.length) {
			let n = this.buf.length;
			while (n < this.len + chunk.length)
				n *= 2;
			const nb = new Uint8Array(n);
			nb.set(this.buf.subarray(0, this.len));
			this.buf = nb;
		}
		this.buf.set(chunk, this.len);
		this.len += chunk.length;
		this.parse();
	}

	parse() {
		let pos = 0;
		for (;;) {
			const from = Math.max(pos, this.scanned - 3);
			const h = indexOf(this.buf, HEADER_END, from, this.len);
			if (h < 0) {
				this.scanned = this.len;
				if (this.len - pos > 16384)
					throw new Error('the stream sent a part without headers');
				break;
			}
			const head = new TextDecoder().decode(this.buf.subarray(pos, h));
			const m = /content-length:\s*(\d+)/i.exec(head);
			if (!m)
				throw new Error('the stream sent a part without Content-Length');
			const n = parseInt(m[1], 10), start = h + 4;
			if (this.len < start + n) {
				this.scanned = h;     // headers found: wait for the body
				break;
			}
			const ts = /x-timestamp:\s*([\d.]+)/i.exec(head);
			this.onPart(this.buf.slice(start, start + n), ts ? parseFloat(ts[1]) : null);
			pos = start + n;
			this.scanned = pos;
		}
		if (pos > 0) {
			this.buf.copyWithin(0, pos, this.len);
			this.len -= pos;
			this.scanned = Math.max(0, this.scanned - pos);
		}
	}
}

export class Video {
	constructor(els) {
		this.img = els.img;
		this.overlay = els.overlay;
		this.readout = els.readout;
		this.console = els.console;
		this.attempt = 0;
		this.frames = 0;           // shown since the last readout
		this.total = 0;            // shown since the page loaded
		this.fps = 0;
		this.lastFrame = 0;
		this.pending = null;       // newest frame waiting for the <img>
		this.decoding = false;
		this.url = null;
		this.capd = null;          // capd's /state
		this.width = 0;            // of the last frame shown
		this.height = 0;
		this.problem = null;       // why the stream is down, or null
		this.canvas = els.canvas;
		this.modeButton = els.mode;
		this.mode = localStorage.getItem(MODE_KEY) === 'h264' ? 'h264' : 'mjpeg';
		this.fallback = null;      // why H.264 is not shown, or null
		this.h264 = null;          // the H264View while H.264 runs
		this.modeButton.addEventListener('click', () => this.setMode(this.mode === 'h264' ? 'mjpeg' : 'h264'));
		this.img.addEventListener('load', () => this.shown());
		this.img.addEventListener('error', () => this.shown());
		els.snapshot.addEventListener('click', () => this.snapshot(els.onError));
		els.fullscreen.addEventListener('click', () => this.fullscreen(els.onError));
		// A hidden tab takes no frames (a board's uplink is precious).
		document.addEventListener('visibilitychange', () => {
			if (document.hidden) {
				this.paused = true;
				this.stopH264();
				if (this.abort)
					this.abort.abort(new Error('paused while the tab is hidden'));
			} else if (this.paused) {
				this.paused = false;
				if (!this.running)
					this.connect();
			}
		});
		setInterval(() => this.tick(), 1000);
		this.pollState();
		setInterval(() => this.pollState(), 2000);
		this.connect();
	}

	// The rectangle the picture occupies on screen (letterboxing removed).
	rect() {
		const b = (this.h264 ? this.canvas : this.img).getBoundingClientRect();
		// The last decoded frame's size: naturalWidth is 0 while the next
		// frame loads.
		const nw = this.width, nh = this.height;
		if (!nw || !nh || !b.width || !b.height)
			return null;
		const s = Math.min(b.width / nw, b.height / nh);
		const w = nw * s, h = nh * s;
		return {left: b.left + (b.width - w) / 2, top: b.top + (b.height - h) / 2, width: w, height: h};
	}

	// MJPEG or H.264, chosen on the switch and remembered.
	setMode(mode) {
		localStorage.setItem(MODE_KEY, mode);
		this.mode = mode;
		this.fallback = null;
		this.stopH264();
		if (this.abort)
			this.abort.abort(new Error(`switched to ${mode === 'h264' ? 'H.264' : 'MJPEG'}`));
		if (!this.running)
			this.connect();
		this.showMode();
	}

	showMode() {
		const h = this.h264 !== null;
		this.canvas.hidden = !h;
		this.img.hidden = h;
		this.modeButton.setAttribute('aria-pressed', String(this.mode === 'h264'));
		this.modeButton.textContent = this.mode === 'h264' ? 'H.264' : 'MJPEG';
		this.updateReadout();
	}

	stopH264() {
		if (this.h264) {
			this.h264.stop();
			this.h264 = null;
		}
	}

	// H.264 falls back to MJPEG for this visit; the choice stays stored.
	fallBack(reason) {
		this.h264 = null;
		this.fallback = `H.264 unavailable (${reason}): showing MJPEG`;
		this.showMode();
		this.connect();
	}

	async startH264() {
		let why = await h264Unsupported();
		if (!why) {
			try {
				const st = await get('/api/video/state', 'video state');
				if (!st.h264)
					why = 'capd has no H.264 encoder';
			} catch (e) {
				why = e.message;
			}
		}
		if (why)
			return this.fallBack(why);
		this.h264 = new H264View(this.canvas, {
			onFrame: (w, h) => {
				this.width = w;
				this.height = h;
				this.lastFrame = performance.now();
				this.frames++;
				this.total++;
				this.canvas.dataset.frames = String(this.total);
			},
			onFail: (reason) => this.fallBack(reason),
		});
		this.h264.start();
		this.showMode();
	}

	async connect() {
		if (this.mode === 'h264' && this.fallback === null && !this.paused)
			return this.startH264();
		this.running = true;
		this.abort = new AbortController();
		const signal = this.abort.signal;
		let reason;
		try {
			const resp = await fetch(STREAM, {signal, cache: 'no-store', credentials: 'same-origin'});
			if (!resp.ok) {
				let msg = `HTTP ${resp.status}`;
				try {
					const body = await resp.json();
					if (body && body.error)
						msg = body.error.message;
				} catch (e) { /* not JSON */ }
				throw new Error(`the video daemon answered: ${msg}`);
			}
			const reader = resp.body.getReader();
			const parts = new MultipartReader((jpeg) => this.frame(jpeg));
			this.watchdog = setInterval(() => {
				if (performance.now() - this.lastFrame > STALL_MS)
					this.abort.abort(new Error(`no frame for ${STALL_MS / 1000} s`));
			}, 1000);
			this.lastFrame = performance.now();
			for (;;) {
				const {done, value} = await reader.read();
				if (done)
					break;
				parts.push(value);
			}
			reason = 'the video stream ended (capd restarting?)';
		} catch (e) {
			if (signal.aborted && signal.reason instanceof Error)
				reason = signal.reason.message;
			else
				reason = e.message.startsWith('the ') ? e.message : `the video stream broke (${e.message})`;
		}
		clearInterval(this.watchdog);
		this.running = false;
		if (this.mode === 'h264' && this.fallback === null) {
			this.connect();       // switched: the H.264 stream takes over
			return;
		}
		if (this.paused) {
			this.problem = 'paused while the tab is hidden';
			this.showState('Paused while the tab is hidden', 'paused');
			return;
		}
		this.running = true;     // until the retry timer fires
		this.retry(reason);
	}

	retry(reason) {
		const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
		this.attempt++;
		this.problem = reason;
		this.showState(`Reconnecting in ${(delay / 1000).toFixed(1)} s: ${reason}`, 'reconnecting');
		setTimeout(() => {
			this.running = false;
			if (!this.paused)
				this.connect();
		}, delay);
	}

	frame(jpeg) {
		this.lastFrame = performance.now();
		if (this.problem !== null) {
			this.problem = null;
			this.attempt = 0;
			this.showState(null);
		}
		this.pending = jpeg;
		if (!this.decoding)
			this.showNext();
	}

	showNext() {
		const jpeg = this.pending;
		this.pending = null;
		this.decoding = true;
		const url = URL.createObjectURL(new Blob([jpeg], {type: 'image/jpeg'}));
		this.img.src = url;
		if (this.url)
			URL.revokeObjectURL(this.url);
		this.url = url;
		this.lastJpeg = jpeg;
	}

	shown() {
		this.decoding = false;
		if (this.img.naturalWidth && this.img.naturalHeight) {
			this.width = this.img.naturalWidth;
			this.height = this.img.naturalHeight;
		}
		this.frames++;
		this.total++;
		this.img.dataset.frames = String(this.total);
		if (this.pending)
			this.showNext();
	}

	tick() {
		this.fps = this.frames;
		this.frames = 0;
		this.updateReadout();
	}

	async pollState() {
		try {
			this.capd = await get('/api/video/state', 'video state');
			this.capdError = null;
		} catch (e) {
			this.capd = null;
			this.capdError = e.message;
		}
		if (this.problem === null)
			this.showState(this.noSignal());
		this.updateReadout();
	}

	// "No signal" with capd's reason, or null while the picture is live.
	noSignal() {
		if (this.capd && this.capd.online === false)
			return `No signal: ${this.capd.reason || 'the capture device reports no picture'}`;
		return null;
	}

	showState(text, kind = 'nosignal') {
		if (!text && this.problem === null)
			text = this.noSignal();
		this.overlay.hidden = !text;
		this.overlay.textContent = text || '';
		this.overlay.dataset.kind = text ? kind : '';
		this.console.dataset.video = text ? kind : 'live';
	}

	updateReadout() {
		let t;
		if (this.h264) {
			const rate = this.h264.rate();
			t = `H.264 · ${this.width || '?'}x${this.height || '?'} · ${this.fps} fps · ` +
			    `${(rate / 1e6).toFixed(2)} Mbit/s · decode ${this.h264.decodeMs.toFixed(1)} ms`;
			this.readout.textContent = t;
			return;
		}
		if (this.problem !== null)
			t = 'video: reconnecting';
		else if (this.capd) {
			const c = this.capd;
			t = `${c.resolution} · ${this.fps} fps shown · ${c.online ? (c.captured_fps || 0).toFixed(1) + ' captured' : 'no signal'} · ${c.format}`;
		} else
			t = `${this.width || '?'}x${this.height || '?'} · ${this.fps} fps` +
			    (this.capdError ? ` · ${this.capdError}` : '');
		t = 'MJPEG · ' + t;
		if (this.fallback)
			t += ` · ${this.fallback}`;
		this.readout.textContent = t;
	}

	async snapshot(onError) {
		let blob;
		try {
			const resp = await fetch('/api/video/snapshot', {cache: 'no-store'});
			if (!resp.ok)
				throw new Error(`snapshot: HTTP ${resp.status}`);
			blob = await resp.blob();
		} catch (e) {
			if (!this.lastJpeg) {
				onError(`${e.message}; and no frame has been shown yet`);
				return;
			}
			blob = new Blob([this.lastJpeg], {type: 'image/jpeg'});
		}
		const a = document.createElement('a');
		const d = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
		a.href = URL.createObjectURL(blob);
		a.download = `kaputtkvm-${d}.jpg`;
		document.body.appendChild(a);
		a.click();
		a.remove();
		setTimeout(() => URL.revokeObjectURL(a.href), 10000);
	}

	fullscreen(onError) {
		if (document.fullscreenElement) {
			document.exitFullscreen();
			return;
		}
		this.console.requestFullscreen().then(() => this.console.focus(),
		    (e) => onError(`fullscreen refused: ${e.message}`));
	}
}
