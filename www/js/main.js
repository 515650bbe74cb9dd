// main.js -- the console page: finds its elements and starts the parts
// (video, keyboard/mouse, on-screen keyboard, read text, paste, media,
// power) with a shared confirmation dialog and a place for errors nothing
// else shows.

import {Video} from './video.js';
import {Hid} from './hid.js';
import {Paste} from './paste.js';
import {Media} from './media.js';
import {Power} from './power.js';
import {Osk} from './osk.js';
import {Macros} from './macros.js';
import {Ocr} from './ocr.js';

const $ = (id) => document.getElementById(id);

// Asks with the <dialog>; resolves to true when the person said OK.
function confirmDialog(text, okLabel = 'OK') {
	const dlg = $('confirm');
	$('confirm-text').textContent = text;
	$('confirm-ok').textContent = okLabel;
	dlg.returnValue = '';
	return new Promise((resolve) => {
		dlg.addEventListener('close', () => resolve(dlg.returnValue === 'ok'), {once: true});
		dlg.showModal();
		dlg.querySelector('button[value=cancel]').focus();
	});
}

// Errors from the console itself (keyboard, snapshot): shown in the bar.
let errTimer = null;
function consoleError(text) {
	const el = $('console-msg');
	el.textContent = text;
	el.hidden = false;
	clearTimeout(errTimer);
	errTimer = setTimeout(() => (el.hidden = true), 8000);
}

const video = new Video({
	img: $('video'), overlay: $('video-overlay'), readout: $('video-readout'),
	console: $('console'), snapshot: $('snapshot'), fullscreen: $('fullscreen'),
	canvas: $('video-h264'), mode: $('video-mode'), onError: consoleError,
});
const hid = new Hid({
	console: $('console'), status: $('hid-status'), relative: $('mouse-relative'),
	hint: $('focus-hint'), menuButton: $('keys-button'), menu: $('keys-menu'),
	leaveTo: $('keys-button'), onError: consoleError,
	leds: {num: $('led-num'), caps: $('led-caps'), scroll: $('led-scroll')},
}, video);
const osk = new Osk({
	root: $('osk'), toggle: $('osk-button'), console: $('console'), layout: $('paste-layout'),
	onError: consoleError,
}, hid);
new Macros({
	record: $('macro-record'), jiggler: $('jiggler'), menu: $('keys-menu'),
	menuButton: $('keys-button'), onError: consoleError,
}, hid);
const ocr = new Ocr({
	toggle: $('ocr-button'), console: $('console'), layer: $('ocr-layer'), sel: $('ocr-sel'),
	panel: $('ocr-panel'), lang: $('ocr-lang'), copy: $('ocr-copy'), done: $('ocr-done'),
	msg: $('ocr-msg'), text: $('ocr-text'),
}, video, hid);
new Paste({
	form: $('paste-form'), text: $('paste-text'), layout: $('paste-layout'),
	send: $('paste-send'), cancel: $('paste-cancel'), bar: $('paste-progress'),
	msg: $('paste-msg'),
}, hid);
new Media({
	list: $('media-list'), state: $('media-state'), msg: $('media-msg'),
	cdrom: $('media-cdrom'), readonly: $('media-readonly'), eject: $('media-eject'),
	force: $('media-force'), forceLabel: $('media-force-label'),
	upload: $('upload-form'), file: $('upload-file'), overwrite: $('upload-overwrite'),
	uploadSend: $('upload-send'),
	uploadCancel: $('upload-cancel'), bar: $('upload-progress'), uploadMsg: $('upload-msg'),
}, confirmDialog);
new Power({
	buttons: [...document.querySelectorAll('[data-atx]')], power: $('led-power'),
	hdd: $('led-hdd'), msg: $('power-msg'),
}, confirmDialog);

// For the browser tests and the curious: the parts, from the console.
window.kvm = {video, hid, osk, ocr};
