// macros.js -- the page's macros and jiggler.  While recording, every key
// event the page sends to hidd is also kept, with the pauses between them;
// "Stop" asks for a name and stores the steps in hidd (PUT /macros/NAME).
// The stored macros are listed in the Send keys menu, where a click plays
// one (POST /macro/run).  The jiggler checkbox is POST /jiggler.

import {call, get, post} from './api.js';

const API = '/api/hid';

export class Macros {
	constructor(els, hid) {
		this.els = els;
		this.steps = null; // an array while recording
		this.last = 0;
		const key = hid.key.bind(hid);
		hid.key = (code, down) => {
			this.record(code, down);
			key(code, down);
		};
		els.record.addEventListener('click', () => this.toggle());
		els.jiggler.addEventListener('change', () => this.jiggle());
		els.menu.addEventListener('click', (e) => {
			const item = e.target.closest('[data-macro]');
			if (item)
				this.run(item.dataset.macro);
		});
		this.refresh();
	}

	record(code, down) {
		if (this.steps === null)
			return;
		const now = performance.now();
		const ms = Math.min(60000, Math.round(now - this.last));
		if (this.steps.length > 0 && ms >= 20)
			this.steps.push({delay_ms: ms});
		this.last = now;
		this.steps.push({key: code, down});
	}

	async toggle() {
		const b = this.els.record;
		if (this.steps === null) {
			this.steps = [];
			b.textContent = 'Stop recording';
			b.setAttribute('aria-pressed', 'true');
			return;
		}
		const steps = this.steps;
		this.steps = null;
		b.textContent = 'Record macro';
		b.setAttribute('aria-pressed', 'false');
		if (steps.length === 0)
			return this.els.onError('macro: no key was pressed while recording, nothing to save');
		const name = window.prompt('Save the macro as (letters, digits, spaces, -_.+):');
		if (!name)
			return;
		try {
			await call('PUT', `${API}/macros/${encodeURIComponent(name)}`, {steps}, 'saving the macro');
			await this.refresh();
		} catch (e) {
			this.els.onError(e.message);
		}
	}

	async run(name) {
		this.els.menu.hidden = true;
		this.els.menuButton.setAttribute('aria-expanded', 'false');
		try {
			await post(`${API}/macro/run`, {name}, `playing the macro "${name}"`);
		} catch (e) {
			this.els.onError(e.message);
		}
	}

	async jiggle() {
		try {
			await post(`${API}/jiggler`, {enabled: this.els.jiggler.checked}, 'the jiggler');
		} catch (e) {
			this.els.jiggler.checked = !this.els.jiggler.checked;
			this.els.onError(e.message);
		}
	}

	// The menu's macro items (before "Release all keys") and the jiggler.
	async refresh() {
		let list, st;
		try {
			[list, st] = await Promise.all([get(`${API}/macros`), get(`${API}/state`)]);
		} catch (e) {
			return;
		}
		this.els.jiggler.checked = !!(st.jiggler && st.jiggler.enabled);
		const menu = this.els.menu;
		for (const old of menu.querySelectorAll('li.macro'))
			old.remove();
		const end = menu.querySelector('[data-combo="release"]').closest('li');
		for (const m of list.macros) {
			const li = document.createElement('li');
			li.className = 'macro';
			li.setAttribute('role', 'none');
			const b = document.createElement('button');
			b.type = 'button';
			b.setAttribute('role', 'menuitem');
			b.dataset.macro = m.name;
			b.textContent = `Macro: ${m.name}`;
			li.append(b);
			menu.insertBefore(li, end);
		}
	}
}
