// osk.js -- the on-screen keyboard, for phones and tablets (a touch screen
// has no physical key codes).  Its letters are the target's layout's: the
// layout chosen in the paste box (hidd's GET /layouts), looked up in
// legends.json (made by www/legends.py from the same XKB data hidd's paste
// compiles).  Each key shows what it types on the target and sends the
// KeyboardEvent.code of the physical key that types it, through hid.js's
// WebSocket path, exactly as a real keyboard would: the modifiers down,
// the key down and up, the modifiers up in reverse.
//
// Modifiers (Shift, Ctrl, Alt, AltGr, Win) latch: a tap holds one for the
// next key, a second tap within DOUBLE_TAP_MS locks it until tapped again.
// Nothing is held on the target between taps.  The keyboard opens from its
// toolbar button, and by itself on the first touch tap on the picture
// until the person closes it (remembered in localStorage).

const DOUBLE_TAP_MS = 400;
const AUTO_KEY = 'kaputtkvm.osk.auto';
const MODS = [
	['ShiftLeft', 'Shift'], ['ControlLeft', 'Ctrl'], ['AltLeft', 'Alt'],
	['AltRight', 'AltGr'], ['MetaLeft', 'Win'],
];
const FN = [
	['Escape', 'Esc'], ['Tab', 'Tab'], ['CapsLock', 'Caps'], ['PrintScreen', 'PrtSc'],
	...Array.from({length: 12}, (_, i) => [`F${i + 1}`, `F${i + 1}`]),
	['Insert', 'Ins'], ['Delete', 'Del'], ['Home', 'Home'], ['End', 'End'],
	['PageUp', 'PgUp'], ['PageDown', 'PgDn'], ['ArrowUp', '↑'], ['ArrowLeft', '←'],
	['ArrowDown', '↓'], ['ArrowRight', '→'], ['Backspace', '⌫'], ['Enter', 'Enter'],
];
const COMBOS = [
	[['ControlLeft', 'AltLeft', 'Delete'], 'Ctrl+Alt+Del'], [['AltLeft', 'Tab'], 'Alt+Tab'],
	[['AltLeft', 'F4'], 'Alt+F4'], [['MetaLeft'], 'Win key'],
];
const INTL = new Set(['IntlBackslash', 'IntlRo', 'IntlYen']);

// A dead key's legend is its combining mark alone: drawn on a circle.
const isMark = (s) => /^\p{M}$/u.test(s);

export class Osk {
	constructor(els, hid) {
		this.els = els;
		this.hid = hid;
		this.mods = new Map();     // code -> {state: 'latched'|'locked', at}
		this.legends = null;
		this.panel = 'main';
		els.toggle.addEventListener('click', () => this.show(els.root.hidden));
		els.console.addEventListener('pointerup', (e) => {
			if (e.pointerType === 'touch' && els.root.hidden && this.auto())
				this.show(true);
		});
		// A tap keeps the focus where it is: the console does not lose it
		// (which would release every key) and a real keyboard still types.
		els.root.addEventListener('pointerdown', (e) => {
			if (e.target.closest('button'))
				e.preventDefault();
		});
		els.layout.addEventListener('change', () => this.build());
		// The paste box fills its list (and picks the saved layout) later.
		new MutationObserver(() => this.build()).observe(els.layout, {childList: true});
		this.load();
	}

	auto() {
		try {
			return localStorage.getItem(AUTO_KEY) !== 'off';
		} catch (e) {
			return true;
		}
	}

	async load() {
		try {
			const r = await fetch('legends.json', {credentials: 'same-origin'});
			if (!r.ok)
				throw new Error(`HTTP ${r.status}`);
			this.legends = await r.json();
		} catch (e) {
			this.els.onError(`on-screen keyboard: cannot load the key legends (${e.message}); reload the page`);
			return;
		}
		this.build();
	}

	show(open) {
		this.els.root.hidden = !open;
		this.els.toggle.setAttribute('aria-expanded', String(open));
		if (!open) {
			this.mods.clear();
			try {
				localStorage.setItem(AUTO_KEY, 'off');
			} catch (e) { /* storage may be off */ }
		}
		this.paint();
	}

	// The chosen layout's legends: itself, else its base layout, else us.
	layout() {
		const all = this.legends.layouts;
		const want = this.els.layout.value || 'us';
		const base = want.replace(/\(.*$/, '');
		const name = all[want] ? want : all[base] ? base : 'us';
		return {want, name, ...all[name]};
	}

	key(code, label, cls) {
		const b = document.createElement('button');
		b.type = 'button';
		b.className = `key ${cls || ''}`;
		b.dataset.code = code;
		b.title = code;
		b.textContent = label;
		if (label && !/\w/.test(label))
			b.setAttribute('aria-label', code.replace(/([a-z])([A-Z])/g, '$1 $2'));
		return b;
	}

	build() {
		if (!this.legends)
			return;
		const L = this.layout(), {codes, rows} = this.legends;
		this.current = L;
		const root = this.els.root;
		const head = document.createElement('div');
		head.className = 'osk-head';
		const title = document.createElement('span');
		title.className = 'osk-title';
		title.textContent = L.name === L.want ? `Keyboard: ${L.name}` :
		    `Keyboard: ${L.name} legends (none for ${L.want})`;
		this.status = document.createElement('span');
		this.status.className = 'osk-status';
		this.status.setAttribute('aria-live', 'polite');
		const tabs = [['main', 'abc'], ['fn', 'Fn ←→']].map(([p, t]) => {
			const b = document.createElement('button');
			b.type = 'button';
			b.className = 'osk-tab';
			b.dataset.panel = p;
			b.textContent = t;
			return b;
		});
		const close = document.createElement('button');
		close.type = 'button';
		close.className = 'osk-close';
		close.textContent = '✕';
		close.setAttribute('aria-label', 'Close the on-screen keyboard');
		close.addEventListener('click', () => this.show(false));
		head.append(title, this.status, ...tabs, close);

		const mods = this.grid('osk-mods', 'Modifiers');
		for (const [code, label] of MODS)
			if (code !== 'AltRight' || L.altgr)
				mods.append(this.key(code, label, 'mod'));
		mods.append(this.key('Escape', 'Esc'), this.key('Tab', 'Tab'));

		const main = this.grid('osk-main', 'Keys');
		main.dataset.panel = 'main';
		const plain = new Set([...L.levels[0]].concat([...(L.levels[1] || '')])
			.filter((c, i) => !INTL.has(codes[i % codes.length])));
		let row = 0;
		codes.forEach((code, i) => {
			if (i === rows[row]) {
				row++;
				main.append(Object.assign(document.createElement('span'), {className: 'br'}));
			}
			const c = [...L.levels[0]][i];
			// A 105th key that types nothing the others do is left out.
			if (c === ' ' || (INTL.has(code) && plain.has(c)))
				return;
			main.append(this.key(code, '', 'legend'));
		});
		main.append(Object.assign(document.createElement('span'), {className: 'br'}),
			this.key('Backspace', '⌫', 'wide'), this.key('Space', 'Space', 'space'),
			this.key('Enter', 'Enter ⏎', 'wide'));

		const fn = this.grid('osk-fn', 'Function and navigation keys');
		fn.dataset.panel = 'fn';
		for (const [code, label] of FN)
			fn.append(this.key(code, label));
		for (const [codes_, label] of COMBOS) {
			const b = this.key(codes_.join(' '), label, 'combo');
			b.dataset.combo = codes_.join(' ');
			fn.append(b);
		}
		root.replaceChildren(head, mods, main, fn);
		root.onclick = (e) => this.click(e);
		this.paint();
	}

	grid(cls, label) {
		const g = document.createElement('div');
		g.className = `osk-grid ${cls}`;
		g.setAttribute('role', 'group');
		g.setAttribute('aria-label', label);
		return g;
	}

	click(e) {
		const b = e.target.closest('button');
		if (!b || !this.els.root.contains(b))
			return;
		if (b.dataset.panel) {
			this.panel = b.dataset.panel;
		} else if (b.classList.contains('mod')) {
			this.tapModifier(b.dataset.code);
		} else if (b.dataset.code) {
			this.press(b.dataset.combo ? b.dataset.combo.split(' ') : [b.dataset.code]);
		}
		this.paint();
	}

	// off -> latched -> (a quick second tap) locked -> off.
	tapModifier(code) {
		const now = performance.now(), m = this.mods.get(code);
		if (!m)
			this.mods.set(code, {state: 'latched', at: now});
		else if (m.state === 'latched' && now - m.at < DOUBLE_TAP_MS)
			m.state = 'locked';
		else
			this.mods.delete(code);
	}

	// The active modifiers around the keys, in the order they were tapped;
	// the latched ones let go afterwards.
	press(codes) {
		const mods = [...this.mods.keys()].filter((c) => !codes.includes(c));
		this.hid.combo([...mods, ...codes]);
		for (const [c, m] of [...this.mods])
			if (m.state === 'latched')
				this.mods.delete(c);
	}

	level() {
		return (this.mods.has('ShiftLeft') ? 1 : 0) + (this.mods.has('AltRight') ? 2 : 0);
	}

	paint() {
		if (!this.current)
			return;
		const root = this.els.root, L = this.current, codes = this.legends.codes;
		const lv = [0, 1, 2, 3].map((i) => [...(L.levels[i] || '')]);
		const at = this.level();
		for (const b of root.querySelectorAll('.legend')) {
			const i = codes.indexOf(b.dataset.code);
			let n = at, c = ' ';
			while (n >= 0 && (c = lv[n][i] || ' ') === ' ')
				n = n === 3 ? 2 : n === 2 ? 0 : n - 1;
			b.textContent = isMark(c) ? `◌${c}` : c;
			b.classList.toggle('dead', isMark(c));
			b.setAttribute('aria-label', isMark(c) ? `dead key ${c}` : c);
		}
		const words = [];
		for (const b of root.querySelectorAll('.mod')) {
			const m = this.mods.get(b.dataset.code);
			b.dataset.state = m ? m.state : 'off';
			b.setAttribute('aria-pressed', m ? 'true' : 'false');
			if (m)
				words.push(`${b.textContent} ${m.state}`);
		}
		if (this.status)
			this.status.textContent = words.join(' · ');
		for (const g of root.querySelectorAll('.osk-grid[data-panel]'))
			g.hidden = g.dataset.panel !== this.panel;
		for (const t of root.querySelectorAll('.osk-tab'))
			t.setAttribute('aria-pressed', String(t.dataset.panel === this.panel));
	}
}
