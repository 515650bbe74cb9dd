// hid.js -- keyboard and mouse: hidd's WebSocket (/api/hid/ws, see
// hidd/PROTOCOL.md) with reconnect and backoff, keys captured while the
// console has focus (sent as KeyboardEvent.code), everything released on
// blur, tab hide and connection loss, the combination menu, the target's
// LEDs, and the mouse: absolute (0..32767 over the picture itself, not the
// letterboxed element) or relative under pointer lock, all buttons, wheel;
// no mouse report while the page's "Read text" mode (ocr.js) has the pointer.

const BACKOFF_MS = [250, 500, 1000, 2000, 4000];
const PING_MS = 5000;
const PONG_TIMEOUT_MS = 5000;
const BUTTONS = ['left', 'middle', 'right', 'back', 'forward'];
const ABS_MAX = 32767;

export class Hid {
	constructor(els, video) {
		this.els = els;
		this.video = video;
		this.ws = null;
		this.attempt = 0;
		this.held = new Set();     // key codes down on the target
		this.buttons = new Set();
		this.listeners = [];
		this.move = null;          // coalesced pointer motion
		this.rel = {dx: 0, dy: 0};
		this.wheelAcc = {x: 0, y: 0};
		this.online = null;
		this.pointerOn = true;     // off while ocr.js selects a region
		this.setStatus('connecting…', 'connecting');
		this.bindKeyboard();
		this.bindMouse();
		this.bindMenu();
		document.addEventListener('visibilitychange', () => {
			if (document.hidden)
				this.releaseAll('tab hidden');
		});
		window.addEventListener('blur', () => this.releaseAll('window lost focus'));
		window.addEventListener('pagehide', () => this.releaseAll('page closed'));
		setInterval(() => this.ping(), PING_MS);
		this.connect();
	}

	onState(fn) {
		this.listeners.push(fn);
	}

	connect() {
		const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/hid/ws`;
		let ws;
		try {
			ws = new WebSocket(url);
		} catch (e) {
			this.retry(`cannot open the WebSocket: ${e.message}`);
			return;
		}
		this.ws = ws;
		this.opened = false;
		ws.addEventListener('open', () => {
			this.opened = true;
			this.attempt = 0;
			this.lastPong = performance.now();
			this.held.clear();
			this.buttons.clear();
			this.send({t: 'release'});
			this.setStatus('connected', 'ok');
		});
		ws.addEventListener('message', (ev) => this.message(ev.data));
		ws.addEventListener('close', (ev) => {
			if (this.ws !== ws)
				return;
			this.ws = null;
			// hidd releases a lost connection's keys itself; forget ours.
			this.held.clear();
			this.buttons.clear();
			let why = ev.reason || (this.opened ? 'the connection to hidd was lost' :
			    'hidd cannot be reached');
			if (ev.code && ev.code !== 1000 && ev.code !== 1005)
				why += ` (code ${ev.code})`;
			this.retry(why);
		});
	}

	retry(reason) {
		const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
		this.attempt++;
		this.setStatus(`reconnecting in ${(delay / 1000).toFixed(1)} s: ${reason}`, 'reconnecting');
		setTimeout(() => this.connect(), delay);
	}

	ping() {
		if (!this.ws || this.ws.readyState !== WebSocket.OPEN)
			return;
		if (performance.now() - this.lastPong > PING_MS + PONG_TIMEOUT_MS) {
			const ws = this.ws;
			this.ws = null;
			ws.close();
			this.held.clear();
			this.retry('hidd stopped answering pings');
			return;
		}
		this.send({t: 'ping'});
	}

	message(data) {
		let m;
		try {
			m = JSON.parse(data);
		} catch (e) {
			return;
		}
		if (m.t === 'pong') {
			this.lastPong = performance.now();
		} else if (m.t === 'state') {
			this.lastPong = performance.now();
			this.state(m);
		} else if (m.t === 'error') {
			const err = m.error || {};
			let text = err.message || 'unknown error';
			if (err.code === 'busy')
				text = `key refused: ${text}`;
			this.els.onError(`keyboard/mouse: ${text}`);
		}
	}

	state(m) {
		this.online = m.online;
		const leds = m.leds || {};
		for (const [name, el] of Object.entries(this.els.leds)) {
			const on = leds.known ? !!leds[name] : false;
			el.dataset.on = on ? '1' : '0';
			el.title = `${el.textContent} Lock: ${leds.known ? (on ? 'on' : 'off') : 'unknown (the target sent no LED report yet)'}`;
		}
		if (m.online === false)
			this.setStatus(`target offline: ${m.reason || 'no reason given'}`, 'offline');
		else if (this.ws && this.ws.readyState === WebSocket.OPEN)
			this.setStatus('connected', 'ok');
		for (const fn of this.listeners)
			fn(m);
	}

	setStatus(text, kind) {
		this.els.status.textContent = `keyboard: ${text}`;
		this.els.status.dataset.kind = kind;
		this.els.console.dataset.hid = kind;
	}

	send(msg) {
		if (!this.ws || this.ws.readyState !== WebSocket.OPEN)
			return false;
		this.ws.send(JSON.stringify(msg));
		return true;
	}

	key(code, down) {
		if (down)
			this.held.add(code);
		else
			this.held.delete(code);
		if (!this.send({t: 'key', code, down}) && down)
			this.els.onError('keyboard: not connected to hidd, the key was not sent');
	}

	// Every key and button up, on the target and here.
	releaseAll(why) {
		this.held.clear();
		this.buttons.clear();
		this.send({t: 'release'});
	}

	// Presses a combination in order, then lets go in reverse order.
	combo(codes) {
		for (const c of codes)
			this.key(c, true);
		for (const c of [...codes].reverse())
			this.key(c, false);
	}

	bindKeyboard() {
		const con = this.els.console;
		con.addEventListener('keydown', (e) => {
			// Ctrl+Shift+F12 leaves the console (keyboard navigation).
			if (e.code === 'F12' && e.ctrlKey && e.shiftKey) {
				e.preventDefault();
				this.els.leaveTo.focus();
				return;
			}
			if (!e.code || e.code === 'Unidentified')
				return;
			e.preventDefault();
			e.stopPropagation();
			this.key(e.code, true);
		});
		con.addEventListener('keyup', (e) => {
			if (!e.code || e.code === 'Unidentified')
				return;
			e.preventDefault();
			e.stopPropagation();
			this.key(e.code, false);
		});
		con.addEventListener('blur', () => this.releaseAll('console lost focus'));
	}

	// Pointer position in 0..32767 over the picture, clamped.
	absolute(e) {
		const r = this.video.rect();
		if (!r)
			return null;
		const fx = Math.min(1, Math.max(0, (e.clientX - r.left) / r.width));
		const fy = Math.min(1, Math.max(0, (e.clientY - r.top) / r.height));
		return {x: Math.round(fx * ABS_MAX), y: Math.round(fy * ABS_MAX)};
	}

	relative() {
		return this.els.relative.checked;
	}

	// The mouse to the target or not (ocr.js's "Read text" mode): off,
	// any button held is let go and no mouse report is sent.
	pointer(on) {
		this.pointerOn = on;
		this.move = null;
		this.rel = {dx: 0, dy: 0};
		if (!on && this.buttons.size)
			this.releaseAll('the pointer is taken off the target');
	}

	flushMove() {
		this.moveScheduled = false;
		if (!this.pointerOn)
			return;
		if (this.relative()) {
			let {dx, dy} = this.rel;
			this.rel = {dx: 0, dy: 0};
			dx = Math.max(-32767, Math.min(32767, Math.round(dx)));
			dy = Math.max(-32767, Math.min(32767, Math.round(dy)));
			if (dx || dy)
				this.send({t: 'rel', dx, dy});
		} else if (this.move) {
			this.send({t: 'abs', x: this.move.x, y: this.move.y});
			this.move = null;
		}
	}

	scheduleMove() {
		if (!this.moveScheduled) {
			this.moveScheduled = true;
			setTimeout(() => this.flushMove(), 10);
		}
	}

	bindMouse() {
		const con = this.els.console;
		con.addEventListener('mousemove', (e) => {
			if (!this.pointerOn)
				return;
			if (this.relative()) {
				if (document.pointerLockElement !== con)
					return;
				this.rel.dx += e.movementX;
				this.rel.dy += e.movementY;
			} else {
				const p = this.absolute(e);
				if (!p)
					return;
				this.move = p;
			}
			this.scheduleMove();
		});
		con.addEventListener('mousedown', (e) => {
			if (!this.pointerOn)
				return;
			con.focus();
			if (this.relative() && document.pointerLockElement !== con) {
				con.requestPointerLock();
				e.preventDefault();
				return;
			}
			const b = BUTTONS[e.button];
			if (!b)
				return;
			e.preventDefault();
			if (!this.relative()) {
				const p = this.absolute(e);
				if (p)
					this.send({t: 'abs', x: p.x, y: p.y});
			} else
				this.flushMove();
			this.buttons.add(b);
			this.send({t: 'button', button: b, down: true});
		});
		const up = (e) => {
			const b = BUTTONS[e.button];
			if (!b || !this.buttons.has(b))
				return;
			e.preventDefault();
			this.flushMove();
			this.buttons.delete(b);
			this.send({t: 'button', button: b, down: false});
		};
		window.addEventListener('mouseup', up);
		con.addEventListener('contextmenu', (e) => e.preventDefault());
		// Back/forward buttons must not navigate away from the console.
		con.addEventListener('auxclick', (e) => e.preventDefault());
		con.addEventListener('wheel', (e) => {
			if (!this.pointerOn)
				return;
			e.preventDefault();
			const scale = e.deltaMode === 1 ? 1 / 3 : e.deltaMode === 2 ? 1 : 1 / 100;
			this.wheelAcc.x += e.deltaX * scale;
			this.wheelAcc.y += e.deltaY * scale;
			const dx = Math.max(-127, Math.min(127, Math.trunc(this.wheelAcc.x)));
			const dy = Math.max(-127, Math.min(127, Math.trunc(this.wheelAcc.y)));
			// Smooth scrolling sends fractions: any movement is one notch.
			const sx = dx || (Math.abs(e.deltaX) > 0 && Math.abs(this.wheelAcc.x) >= 0.5 ? Math.sign(e.deltaX) : 0);
			const sy = dy || (Math.abs(e.deltaY) > 0 && Math.abs(this.wheelAcc.y) >= 0.5 ? Math.sign(e.deltaY) : 0);
			this.wheelAcc.x -= sx;
			this.wheelAcc.y -= sy;
			if (sx || sy)
				this.send({t: 'wheel', wheel_dx: sx, wheel_dy: sy});
		}, {passive: false});
		this.els.relative.addEventListener('change', () => {
			if (!this.relative() && document.pointerLockElement)
				document.exitPointerLock();
			this.els.hint.textContent = this.relative() ?
			    'Relative mouse: click the screen to lock the pointer, Esc frees it' :
			    'Click the screen to type on the target (Ctrl+Shift+F12 leaves)';
		});
		document.addEventListener('pointerlockerror', () =>
			this.els.onError('the browser refused pointer lock: click the screen again'));
	}

	bindMenu() {
		const btn = this.els.menuButton, menu = this.els.menu;
		const items = () => [...menu.querySelectorAll('[role=menuitem]')];
		const open = (focusFirst) => {
			menu.hidden = false;
			btn.setAttribute('aria-expanded', 'true');
			if (focusFirst)
				items()[0].focus();
		};
		const close = (focusButton) => {
			menu.hidden = true;
			btn.setAttribute('aria-expanded', 'false');
			if (focusButton)
				btn.focus();
		};
		btn.addEventListener('click', () => (menu.hidden ? open(true) : close(false)));
		btn.addEventListener('keydown', (e) => {
			if (e.key === 'ArrowDown') {
				e.preventDefault();
				open(true);
			}
		});
		menu.addEventListener('keydown', (e) => {
			const list = items(), i = list.indexOf(document.activeElement);
			if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
				e.preventDefault();
				const n = (i + (e.key === 'ArrowDown' ? 1 : -1) + list.length) % list.length;
				list[n].focus();
			} else if (e.key === 'Escape') {
				e.preventDefault();
				close(true);
			}
		});
		menu.addEventListener('click', (e) => {
			const item = e.target.closest('[data-combo]');
			if (!item)
				return;
			const combo = item.dataset.combo;
			if (combo === 'release')
				this.releaseAll('asked');
			else
				this.combo(combo.split(' '));
			close(false);
			this.els.console.focus({preventScroll: true});
		});
		document.addEventListener('click', (e) => {
			if (!menu.hidden && !menu.contains(e.target) && e.target !== btn)
				close(false);
		});
	}
}
