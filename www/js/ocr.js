// ocr.js -- "Read text": a rectangle dragged over the picture (mouse or
// touch) is read by ocrd (POST /api/ocr/read) on capd's newest frame, in
// the language chosen from ocrd's installed ones (GET /api/ocr/state); the
// text is shown in a small panel with a Copy button (the clipboard API, or
// the text selected for Ctrl+C where the page may not write the clipboard).
// While the mode is on, the pointer goes to the selection, not the target
// (hid.js sends no mouse report), and Esc or Done leaves it.

import {get, post, say} from './api.js';

const LANG_KEY = 'kvm.ocr.lang';
const MIN_DRAG = 4;               // CSS pixels: less is a click, not a rectangle
const NAMES = {eng: 'English', deu: 'German', fra: 'French', spa: 'Spanish',
	ita: 'Italian', nld: 'Dutch', por: 'Portuguese', pol: 'Polish', ces: 'Czech'};
const HINT = 'Drag a rectangle over the text on the screen (Esc leaves).';

export class Ocr {
	constructor(els, video, hid) {
		this.els = els;
		this.video = video;
		this.hid = hid;
		this.on = false;
		this.drag = null;          // {id, x0, y0, x1, y1} in client pixels
		this.reading = false;
		this.langsLoaded = false;
		els.toggle.addEventListener('click', () => this.setMode(!this.on));
		els.done.addEventListener('click', () => this.setMode(false));
		els.copy.addEventListener('click', () => this.copy());
		els.lang.addEventListener('change', () => {
			try {
				localStorage.setItem(LANG_KEY, els.lang.value);
			} catch (e) { /* storage may be off */ }
		});
		// Esc leaves the mode before hid.js could send it to the target.
		window.addEventListener('keydown', (e) => {
			if (this.on && e.key === 'Escape') {
				e.preventDefault();
				e.stopPropagation();
				this.setMode(false);
			}
		}, true);
		this.bindLayer();
	}

	setMode(on) {
		if (on === this.on)
			return;
		this.on = on;
		const els = this.els;
		els.toggle.setAttribute('aria-pressed', String(on));
		els.layer.hidden = !on;
		els.panel.hidden = !on;
		els.console.dataset.ocr = on ? 'on' : 'off';
		this.hid.pointer(!on);
		this.cancelDrag();
		if (on) {
			if (document.pointerLockElement)
				document.exitPointerLock();
			// The panel is outside the console: fullscreen would hide it.
			if (document.fullscreenElement === els.console)
				document.exitFullscreen();
			// The focus leaves the console (which releases every key):
			// keys typed now are not the target's.
			els.lang.focus({preventScroll: true});
			if (!this.reading)
				say(els.msg, HINT);
			this.loadLanguages();
		} else if (els.panel.contains(document.activeElement)) {
			els.toggle.focus();
		}
	}

	async loadLanguages() {
		if (this.langsLoaded)
			return;
		let st;
		try {
			st = await get('/api/ocr/state', 'Read text');
		} catch (e) {
			say(this.els.msg, `${e.message} (the language list is not known yet)`, 'error');
			return;
		}
		const langs = st.languages || [];
		let saved = null;
		try {
			saved = localStorage.getItem(LANG_KEY);
		} catch (e) { /* storage may be off */ }
		const sel = this.els.lang;
		const keep = sel.value;
		sel.replaceChildren(...langs.map((l) =>
			new Option(NAMES[l] ? `${NAMES[l]} (${l})` : l, l)));
		for (const want of [saved, keep, 'eng'])
			if (want && langs.includes(want)) {
				sel.value = want;
				break;
			}
		this.langsLoaded = true;
		if (!langs.length)
			say(this.els.msg, 'Read text: ocrd has no language installed (tesseract-ocr-eng)', 'error');
	}

	// The pointer on the layer: press, drag, let go.  Mouse events stop
	// here (no focus to the console, no pointer lock, no click on the
	// target); the layer has touch-action: none, so a finger drags too.
	bindLayer() {
		const layer = this.els.layer;
		layer.addEventListener('pointerdown', (e) => {
			e.stopPropagation();
			if (e.pointerType === 'mouse' && e.button !== 0)
				return;
			// (not cancelled: its mousedown comes, and is cancelled below,
			// which keeps the focus off the console)
			layer.setPointerCapture(e.pointerId);
			this.drag = {id: e.pointerId, x0: e.clientX, y0: e.clientY, x1: e.clientX, y1: e.clientY};
			this.drawSelection();
		});
		// The drag this event moves on, or null.
		const follow = (e) => {
			e.stopPropagation();
			const d = this.drag;
			if (!d || e.pointerId !== d.id)
				return null;
			d.x1 = e.clientX;
			d.y1 = e.clientY;
			return d;
		};
		layer.addEventListener('pointermove', (e) => {
			if (follow(e))
				this.drawSelection();
		});
		layer.addEventListener('pointerup', (e) => {
			const d = follow(e);
			if (d) {
				this.drag = null;
				this.read(d);
			}
		});
		layer.addEventListener('pointercancel', (e) => {
			e.stopPropagation();
			this.cancelDrag();
		});
		for (const t of ['mousedown', 'mousemove', 'mouseup', 'click', 'dblclick',
			'auxclick', 'contextmenu', 'wheel', 'touchstart', 'touchmove', 'touchend'])
			layer.addEventListener(t, (e) => {
				e.stopPropagation();
				if (t !== 'mousemove' && t !== 'wheel' && e.cancelable)
					e.preventDefault();
			}, {passive: false});
	}

	cancelDrag() {
		this.drag = null;
		this.els.sel.hidden = true;
	}

	// The rectangle on the layer, clamped to the picture.
	drawSelection() {
		const d = this.drag, r = this.video.rect();
		if (!d || !r)
			return;
		const cx = (x) => Math.min(r.left + r.width, Math.max(r.left, x));
		const cy = (y) => Math.min(r.top + r.height, Math.max(r.top, y));
		const box = this.els.layer.getBoundingClientRect();
		const x0 = cx(Math.min(d.x0, d.x1)), x1 = cx(Math.max(d.x0, d.x1));
		const y0 = cy(Math.min(d.y0, d.y1)), y1 = cy(Math.max(d.y0, d.y1));
		const s = this.els.sel.style;
		s.left = `${x0 - box.left}px`;
		s.top = `${y0 - box.top}px`;
		s.width = `${x1 - x0}px`;
		s.height = `${y1 - y0}px`;
		this.els.sel.hidden = false;
	}

	// A drag in client pixels as a region of the frame's pixels: the
	// picture's rectangle (letterboxing removed, video.js) scaled to the
	// size of the frame shown, clamped to it; null when nothing is left.
	region(d) {
		const r = this.video.rect(), fw = this.video.width, fh = this.video.height;
		if (!r)
			return null;
		const fx = (x) => Math.min(fw, Math.max(0, (x - r.left) * fw / r.width));
		const fy = (y) => Math.min(fh, Math.max(0, (y - r.top) * fh / r.height));
		const x = Math.floor(fx(Math.min(d.x0, d.x1))), x1 = Math.ceil(fx(Math.max(d.x0, d.x1)));
		const y = Math.floor(fy(Math.min(d.y0, d.y1))), y1 = Math.ceil(fy(Math.max(d.y0, d.y1)));
		if (x1 - x < 1 || y1 - y < 1)
			return null;
		return {x, y, w: x1 - x, h: y1 - y};
	}

	async read(d) {
		const els = this.els;
		if (Math.abs(d.x1 - d.x0) < MIN_DRAG || Math.abs(d.y1 - d.y0) < MIN_DRAG) {
			this.cancelDrag();
			say(els.msg, 'Nothing read: drag a rectangle over the text, a click selects nothing.', 'error');
			return;
		}
		const reg = this.region(d);
		if (!reg) {
			this.cancelDrag();
			say(els.msg, this.video.width ? 'Nothing read: the rectangle is outside the picture.' :
			    'Nothing read: no picture is shown yet.', 'error');
			return;
		}
		if (this.reading) {
			this.cancelDrag();
			say(els.msg, 'Still reading the last selection: wait for its text.', 'error');
			return;
		}
		this.reading = true;
		els.panel.dataset.busy = 'true';
		const lang = els.lang.value || 'eng';
		say(els.msg, `Reading ${reg.w}x${reg.h} pixels at ${reg.x},${reg.y}…`);
		try {
			const res = await post('/api/ocr/read', {...reg, lang}, 'Read text');
			const text = (res.text || '').replace(/\s+$/, '');
			els.text.value = text;
			els.copy.disabled = text === '';
			els.panel.dataset.region = `${reg.x},${reg.y},${reg.w},${reg.h}`;
			if (text === '')
				say(els.msg, `No text found in the selection (${res.ms} ms).`, 'error');
			else
				say(els.msg, `Read in ${res.ms} ms (${res.lang}).`, 'ok');
		} catch (e) {
			// ocrd's own words: 503 "busy, try again", 504 "select a
			// smaller region", 400 naming the frame's size or the language.
			say(els.msg, e.message, 'error');
		} finally {
			this.reading = false;
			delete els.panel.dataset.busy;
		}
	}

	async copy() {
		const els = this.els, text = els.text.value;
		let why;
		if (navigator.clipboard && navigator.clipboard.writeText) {
			try {
				await navigator.clipboard.writeText(text);
				say(els.msg, 'Copied to the clipboard.', 'ok');
				return;
			} catch (e) {
				why = e.message;
			}
		} else {
			why = window.isSecureContext ? 'this browser has no clipboard API' :
			    'the page is not a secure context (https)';
		}
		els.text.focus();
		els.text.select();
		say(els.msg, `The browser did not let the page copy (${why}): the text is selected, press Ctrl+C (⌘C on a Mac).`, 'error');
	}
}
