// paste.js -- the paste box: the layout picker filled from hidd's
// /layouts, POST /paste, the typing progress from hidd's WebSocket state
// pushes, cancel, and a refused text's message (which names the characters
// the layout cannot type).

import {get, post, say} from './api.js';

const LAYOUT_KEY = 'kaputtkvm.layout';

export class Paste {
	constructor(els, hid) {
		this.els = els;
		els.form.addEventListener('submit', (e) => {
			e.preventDefault();
			this.send();
		});
		els.cancel.addEventListener('click', () => this.cancel());
		els.layout.addEventListener('change', () => {
			try {
				localStorage.setItem(LAYOUT_KEY, els.layout.value);
			} catch (e) { /* storage may be off */ }
		});
		hid.onState((m) => this.progress(m.paste));
		this.loadLayouts();
	}

	async loadLayouts() {
		const sel = this.els.layout;
		let r;
		try {
			r = await get('/api/hid/layouts', 'paste layouts');
		} catch (e) {
			sel.replaceChildren(new Option('(unavailable)', ''));
			say(this.els.msg, `${e.message} — retrying in 5 s`, 'error');
			setTimeout(() => this.loadLayouts(), 5000);
			return;
		}
		let saved = null;
		try {
			saved = localStorage.getItem(LAYOUT_KEY);
		} catch (e) { /* storage may be off */ }
		const list = (r.layouts || []).map((l) => (typeof l === 'string' ? {name: l} : l));
		const names = list.map((l) => l.name);
		sel.replaceChildren(...list.map((l) =>
			new Option(l.description ? `${l.name} — ${l.description}` : l.name, l.name)));
		const want = names.includes(saved) ? saved : r.default;
		if (want && names.includes(want))
			sel.value = want;
		if (this.els.msg.dataset.kind === 'error')
			say(this.els.msg, '');
	}

	async send() {
		const text = this.els.text.value;
		if (!text) {
			say(this.els.msg, 'Nothing to type: write or paste text in the box first.', 'error');
			return;
		}
		say(this.els.msg, 'Sending…');
		this.els.send.disabled = true;
		try {
			const body = {text};
			if (this.els.layout.value)
				body.layout = this.els.layout.value;
			const st = await post('/api/hid/paste', body, 'paste');
			this.seen = true;
			this.progress(st);
		} catch (e) {
			say(this.els.msg, e.message, 'error');
			this.els.send.disabled = false;
		}
	}

	async cancel() {
		try {
			await post('/api/hid/paste/cancel', {}, 'cancel paste');
		} catch (e) {
			say(this.els.msg, e.message, 'error');
		}
	}

	// While a paste types, hidd's state is also asked for once a second:
	// a push can overtake the reply to POST /paste, or be lost.
	watch(active) {
		if (active && !this.timer)
			this.timer = setInterval(async () => {
				try {
					const st = await get('/api/hid/state', 'keyboard state');
					this.progress(st.paste);
				} catch (e) { /* the WebSocket status tells */ }
			}, 1000);
		else if (!active && this.timer) {
			clearInterval(this.timer);
			this.timer = null;
		}
	}

	progress(p) {
		if (!p)
			return;
		const active = !!p.active;
		this.watch(active);
		this.els.cancel.disabled = !active;
		this.els.send.disabled = active;
		if (p.progress !== undefined)
			this.els.bar.value = p.progress;
		if (active) {
			say(this.els.msg, `Typing ${p.done || 0} of ${p.keystrokes || '?'} keystrokes (${p.layout})…`);
			this.seen = true;
		} else if (this.seen && p.result) {
			this.seen = false;
			if (p.result === 'done') {
				this.els.bar.value = 1;
				say(this.els.msg, `Typed ${p.characters} characters (${p.layout}).`, 'ok');
			} else if (p.result === 'cancelled')
				say(this.els.msg, `Cancelled after ${p.done} of ${p.keystrokes} keystrokes.`, 'error');
			else if (p.result === 'failed')
				say(this.els.msg, `Typing failed: ${p.error || 'no reason given'}`, 'error');
		}
	}
}
