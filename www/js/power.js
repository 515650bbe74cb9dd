// power.js -- the target's power and disk LEDs from gpiod-ctl's /state and
// the ATX buttons (POST /atx); off, hard off and reset ask first.

import {get, post, say} from './api.js';

const WORDS = {
	'on': 'Press the power button to switch the target on?',
	'off': 'Press the power button briefly? The target\'s OS decides what happens (usually a shutdown).',
	'off-hard': 'Hold the power button until the target switches off? Unsaved work on the target is lost.',
	'reset': 'Press the reset button? The target restarts at once; unsaved work is lost.',
};
const DESTRUCTIVE = new Set(['off', 'off-hard', 'reset']);

export class Power {
	constructor(els, confirm) {
		this.els = els;
		this.confirm = confirm;
		for (const b of els.buttons)
			b.addEventListener('click', () => this.press(b.dataset.atx, b));
		this.refresh();
		setInterval(() => this.refresh(), 2000);
	}

	async refresh() {
		let st;
		try {
			st = await get('/api/gpio/state', 'power state');
		} catch (e) {
			this.led(this.els.power, null);
			this.led(this.els.hdd, null);
			if (!this.busy)
				say(this.els.msg, e.message, 'error');
			this.stale = true;
			return;
		}
		if (this.stale && !this.busy) {
			say(this.els.msg, '');
			this.stale = false;
		}
		const lines = st.lines || {};
		const atx = st.atx || {};
		this.led(this.els.power, atx.power === 'on' ? 1 : atx.power === 'off' ? 0 :
		    lines['power-led'] ? lines['power-led'].value : null);
		this.led(this.els.hdd, lines['hdd-led'] ? lines['hdd-led'].value : null);
	}

	led(el, v) {
		el.dataset.on = v === 1 || v === true ? '1' : v === null || v === undefined ? '?' : '0';
		el.title = `${el.textContent} LED: ${el.dataset.on === '1' ? 'lit' : el.dataset.on === '0' ? 'dark' : 'unknown'}`;
	}

	async press(action, button) {
		if (DESTRUCTIVE.has(action) &&
		    !(await this.confirm(WORDS[action], button.textContent)))
			return;
		this.busy = true;
		for (const b of this.els.buttons)
			b.disabled = true;
		say(this.els.msg, `${button.textContent}: pressing…`);
		try {
			const r = await post('/api/gpio/atx', {action}, button.textContent.toLowerCase());
			say(this.els.msg, `${button.textContent}: done (button held ${r.held_ms ?? r.ms} ms).`, 'ok');
		} catch (e) {
			say(this.els.msg, e.message, 'error');
		}
		this.busy = false;
		for (const b of this.els.buttons)
			b.disabled = false;
		this.refresh();
	}
}
