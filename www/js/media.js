// media.js -- virtual media: mediad's image list, uploads streamed as the
// raw request body (XMLHttpRequest for upload progress; no multipart) with
// a progress bar and speed, mount as CD or flash drive with a read-only
// switch, eject (force offered after a "locked by the target" refusal) and
// delete; images fetched from a URL by fetchd (/api/fetch/), with its
// progress polled from fetchd's /state and a cancel.

import {get, post, del, bytes, say, parseReply, CSRF_HEADER} from './api.js';

export class Media {
	constructor(els, confirm) {
		this.els = els;
		this.confirm = confirm;
		this.xhr = null;
		els.upload.addEventListener('submit', (e) => {
			e.preventDefault();
			this.upload();
		});
		els.uploadCancel.addEventListener('click', () => {
			if (this.xhr)
				this.xhr.abort();
		});
		els.eject.addEventListener('click', () => this.eject());
		els.cdrom.addEventListener('change', () => {
			// The kernel's CD emulation is read-only.
			if (els.cdrom.checked)
				els.readonly.checked = true;
			els.readonly.disabled = els.cdrom.checked;
		});
		els.readonly.disabled = els.cdrom.checked;
		this.fetchInit();
		this.refresh();
		setInterval(() => this.refresh(), 3000);
	}

	async refresh() {
		try {
			const [list, st] = await Promise.all([
				get('/api/media/images', 'image list'),
				get('/api/media/state', 'media state')]);
			this.render(list.images || [], st);
			if (this.els.state.dataset.kind === 'error')
				say(this.els.state, '');
			this.showLun(st);
			if (this.fe)
				await this.fetchRefresh();
		} catch (e) {
			say(this.els.state, e.message, 'error');
		}
	}

	showLun(st) {
		const lun = (st.luns || [])[0];
		let t;
		if (!lun)
			t = 'No LUN configured.';
		else if (lun.error)
			t = `LUN problem: ${lun.error}`;
		else if (lun.mounted)
			t = `Mounted: ${lun.image || lun.file} as ${lun.cdrom ? 'CD-ROM' : 'flash drive'}` +
			    `${lun.readonly ? ', read-only' : ', writable'}` +
			    `${lun.locked_by_target ? ' — locked by the target' : ''}`;
		else if (lun.missing_image)
			t = `Nothing mounted: the remembered image ${lun.missing_image} is missing.`;
		else
			t = 'Nothing mounted.';
		say(this.els.state, t);
		for (const extra of [lun && lun.problem, lun && lun.note]) {
			if (!extra)
				continue;
			const note = document.createElement('span');
			note.className = 'note';
			note.textContent = extra.charAt(0).toUpperCase() + extra.slice(1) + '.';
			this.els.state.append(note);
		}
		this.els.eject.disabled = !(lun && lun.mounted);
		this.mounted = lun && lun.mounted ? lun.image : null;
	}

	render(images, st) {
		// Redraw only on a change: a button must not vanish under a click.
		const sig = JSON.stringify(images.map((i) => [i.name, i.size, i.mounted, i.uploading]));
		if (sig === this.shown)
			return;
		this.shown = sig;
		const rows = images.map((img) => {
			const tr = document.createElement('tr');
			tr.dataset.image = img.name;
			const name = document.createElement('td');
			name.textContent = img.name;
			if (img.mounted)
				name.append(' ', Object.assign(document.createElement('span'),
				    {className: 'tag', textContent: 'mounted'}));
			if (img.uploading)
				name.append(' ', Object.assign(document.createElement('span'),
				    {className: 'tag', textContent: 'uploading'}));
			const size = document.createElement('td');
			size.textContent = bytes(img.size);
			const act = document.createElement('td');
			act.className = 'actions';
			const mount = document.createElement('button');
			mount.type = 'button';
			mount.textContent = 'Mount';
			mount.dataset.action = 'mount';
			mount.disabled = img.uploading || img.mounted;
			mount.setAttribute('aria-label', `Mount ${img.name}`);
			mount.addEventListener('click', () => this.mount(img.name));
			const rm = document.createElement('button');
			rm.type = 'button';
			rm.textContent = 'Delete';
			rm.className = 'danger';
			rm.dataset.action = 'delete';
			rm.disabled = img.uploading;
			rm.setAttribute('aria-label', `Delete ${img.name}`);
			rm.addEventListener('click', () => this.remove(img.name));
			act.append(mount, rm);
			tr.append(name, size, act);
			return tr;
		});
		if (!rows.length) {
			const tr = document.createElement('tr');
			const td = document.createElement('td');
			td.colSpan = 3;
			td.textContent = 'No images yet: upload one below.';
			tr.append(td);
			rows.push(tr);
		}
		// Keep focus on a button that survives the redraw.
		const focused = document.activeElement;
		const key = focused && focused.closest && focused.closest('#media-list tr') ?
		    [focused.closest('tr').dataset.image, focused.dataset.action] : null;
		this.els.list.replaceChildren(...rows);
		if (key) {
			const again = this.els.list.querySelector(
			    `tr[data-image="${CSS.escape(key[0] || '')}"] button[data-action="${key[1]}"]`);
			if (again)
				again.focus();
		}
	}

	async mount(name) {
		const cdrom = this.els.cdrom.checked;
		const readonly = cdrom ? true : this.els.readonly.checked;
		try {
			await post('/api/media/mount', {image: name, cdrom, readonly}, `mount ${name}`);
			say(this.els.msg, `Mounted ${name} as ${cdrom ? 'CD-ROM' : 'flash drive'}${readonly ? ' (read-only)' : ''}.`, 'ok');
		} catch (e) {
			say(this.els.msg, e.message, 'error');
		}
		this.refresh();
	}

	async eject() {
		const force = !this.els.forceLabel.hidden && this.els.force.checked;
		try {
			await post('/api/media/eject', force ? {force: true} : {}, 'eject');
			say(this.els.msg, force ? 'Ejected (forced).' : 'Ejected.', 'ok');
			this.els.forceLabel.hidden = true;
			this.els.force.checked = false;
		} catch (e) {
			say(this.els.msg, e.message, 'error');
			if (e.status === 409 && /locked/i.test(e.message)) {
				this.els.forceLabel.hidden = false;
				say(this.els.msg, `${e.message} — tick "force" and press Eject again to pull it out anyway (the target may lose data).`, 'error');
			}
		}
		this.refresh();
	}

	async remove(name) {
		if (!(await this.confirm(`Delete the image ${name}? This cannot be undone.`, 'Delete')))
			return;
		try {
			await del(`/api/media/images/${encodeURIComponent(name)}`, `delete ${name}`);
			say(this.els.msg, `Deleted ${name}.`, 'ok');
		} catch (e) {
			say(this.els.msg, e.message, 'error');
		}
		this.refresh();
	}

	upload() {
		const file = this.els.file.files[0];
		if (!file) {
			say(this.els.uploadMsg, 'Choose a file first.', 'error');
			return;
		}
		const xhr = new XMLHttpRequest();
		const bar = this.els.bar;
		const started = performance.now();
		let last = {t: started, n: 0}, speed = 0;
		this.xhr = xhr;
		const query = this.els.overwrite.checked ? '?overwrite=1' : '';
		xhr.open('PUT', `/api/media/images/${encodeURIComponent(file.name)}${query}`);
		xhr.setRequestHeader(CSRF_HEADER, '1');
		xhr.setRequestHeader('Content-Type', 'application/octet-stream');
		xhr.upload.addEventListener('progress', (e) => {
			const now = performance.now();
			if (now - last.t >= 250 || e.loaded === e.total) {
				const inst = (e.loaded - last.n) / ((now - last.t) / 1000);
				speed = speed ? 0.7 * speed + 0.3 * inst : inst;
				last = {t: now, n: e.loaded};
			}
			bar.max = e.total || file.size;
			bar.value = e.loaded;
			const left = speed > 0 ? (file.size - e.loaded) / speed : 0;
			say(this.els.uploadMsg, `${file.name}: ${bytes(e.loaded)} of ${bytes(file.size)} ` +
			    `(${Math.floor(100 * e.loaded / (file.size || 1))} %) at ${bytes(speed)}/s` +
			    (left >= 1 ? `, ${Math.ceil(left)} s left` : ''));
		});
		const done = () => {
			this.xhr = null;
			this.els.uploadSend.disabled = false;
			this.els.uploadCancel.disabled = true;
			this.refresh();
		};
		xhr.addEventListener('load', () => {
			try {
				parseReply(`upload ${file.name}`, xhr.status, xhr.responseText);
				const secs = (performance.now() - started) / 1000;
				bar.value = bar.max;
				say(this.els.uploadMsg, `Uploaded ${file.name} (${bytes(file.size)} in ` +
				    `${secs.toFixed(1)} s, ${bytes(file.size / Math.max(secs, 0.001))}/s).`, 'ok');
			} catch (e) {
				say(this.els.uploadMsg, e.message, 'error');
			}
			done();
		});
		xhr.addEventListener('error', () => {
			say(this.els.uploadMsg, `upload ${file.name}: the connection broke; nothing was kept, try again`, 'error');
			done();
		});
		xhr.addEventListener('abort', () => {
			say(this.els.uploadMsg, `Upload of ${file.name} cancelled; nothing was kept.`, 'error');
			done();
		});
		bar.value = 0;
		this.els.uploadSend.disabled = true;
		this.els.uploadCancel.disabled = false;
		say(this.els.uploadMsg, `Uploading ${file.name}…`);
		xhr.send(file);
	}

	// The "from URL" form: its elements by id, so the page may lack it.
	fetchInit() {
		const $ = (id) => document.getElementById(id);
		if (!$('fetch-form'))
			return;
		this.fe = {form: $('fetch-form'), url: $('fetch-url'), name: $('fetch-name'),
		    sha256: $('fetch-sha256'), overwrite: $('fetch-overwrite'), send: $('fetch-send'),
		    cancel: $('fetch-cancel'), bar: $('fetch-progress'), msg: $('fetch-msg')};
		this.fetching = null;
		this.fe.form.addEventListener('submit', (e) => {
			e.preventDefault();
			this.fetchStart();
		});
		this.fe.cancel.addEventListener('click', () => this.fetchCancel());
	}

	async fetchStart() {
		const fe = this.fe;
		const url = fe.url.value.trim();
		let name = fe.name.value.trim();
		if (!name) {
			try {
				name = decodeURIComponent(new URL(url).pathname.split('/').pop());
			} catch (e) {
				name = '';
			}
		}
		if (!name) {
			say(fe.msg, 'Give a name: the URL ends in no file name.', 'error');
			return;
		}
		const body = {url, name};
		if (fe.sha256.value.trim())
			body.sha256 = fe.sha256.value.trim();
		if (fe.overwrite.checked)
			body.overwrite = true;
		try {
			await post('/api/fetch/fetch', body, `fetch ${name}`);
			this.fetching = name;
			fe.send.disabled = true;
			fe.cancel.disabled = false;
			fe.bar.value = 0;
			say(fe.msg, `Fetching ${name}…`);
		} catch (e) {
			say(fe.msg, e.message, 'error');
		}
		this.fetchRefresh();
	}

	async fetchCancel() {
		if (!this.fetching)
			return;
		try {
			await post('/api/fetch/cancel', {name: this.fetching}, `cancel ${this.fetching}`);
		} catch (e) {
			say(this.fe.msg, e.message, 'error');
		}
		this.fetchRefresh();
	}

	// Progress and the outcome of the fetch this page started (refresh()
	// calls it every 3 s).
	async fetchRefresh() {
		const fe = this.fe;
		if (!this.fetching)
			return;
		let st;
		try {
			st = await get('/api/fetch/state', 'fetch state');
		} catch (e) {
			say(fe.msg, e.message, 'error');
			return;
		}
		const mine = (st.fetches || []).filter((f) => f.name === this.fetching).pop();
		if (!mine)
			return;
		if (mine.length) {
			fe.bar.max = mine.length;
			fe.bar.value = mine.received;
		}
		const ended = ['done', 'failed', 'cancelled'].includes(mine.state);
		if (mine.state === 'done')
			say(fe.msg, `Fetched ${mine.name} (${bytes(mine.received)} in ${mine.seconds.toFixed(1)} s, SHA-256 ${mine.sha256}).`, 'ok');
		else if (ended)
			say(fe.msg, `${mine.name}: ${mine.error}`, 'error');
		else
			say(fe.msg, `${mine.name}: ${mine.state}, ${bytes(mine.received)}` +
			    (mine.length != null ? ` of ${bytes(mine.length)} (${Math.floor(mine.percent)} %)` : '') +
			    (mine.attempts > 1 ? `, attempt ${mine.attempts}` : ''));
		if (ended) {
			this.fetching = null;
			fe.send.disabled = false;
			fe.cancel.disabled = true;
		}
	}
}
