// h264.js -- capd's H.264 stream (capd/PROTOCOL.md) decoded by the
// browser's WebCodecs VideoDecoder into a <canvas>.  Each WebSocket message
// is one access unit after a 20-byte header; the decoder is configured from
// the first keyframe's SPS (codec string avc1.PPCCLL, Annex-B input).  Any
// failure (no WebCodecs, H.264 not supported, the socket or decoder
// failing) is reported once through onFail(reason), and the page falls
// back to MJPEG (video.js).

export const H264_URL = '/api/video/h264';
const STALL_MS = 5000;

// The codec string from the first SPS in an Annex-B access unit, or null.
export function codecFromAnnexB(b) {
	for (let i = 0; i + 7 < b.length; i++) {
		if (b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 1 && (b[i + 3] & 0x1f) === 7) {
			const hex = (v) => v.toString(16).padStart(2, '0').toUpperCase();
			return `avc1.${hex(b[i + 4])}${hex(b[i + 5])}${hex(b[i + 6])}`;
		}
	}
	return null;
}

// Why this browser cannot show H.264, or null when it can.
export async function h264Unsupported(codec = 'avc1.42C01F') {
	if (typeof VideoDecoder === 'undefined' || typeof EncodedVideoChunk === 'undefined')
		return 'this browser has no WebCodecs VideoDecoder';
	try {
		const r = await VideoDecoder.isConfigSupported({codec, avc: {format: 'annexb'}});
		if (!r.supported)
			return `this browser cannot decode H.264 (${codec})`;
	} catch (e) {
		return `this browser cannot decode H.264 (${e.message})`;
	}
	return null;
}

export class H264View {
	constructor(canvas, {onFrame, onFail}) {
		this.canvas = canvas;
		this.ctx = canvas.getContext('2d');
		this.onFrame = onFrame;   // (width, height) after each frame drawn
		this.onFail = onFail;
		this.decoder = null;
		this.started = new Map(); // timestamp -> performance.now() at decode()
		this.decodeMs = 0;        // of the last frame
		this.bytes = 0;           // since the last rate()
		this.since = performance.now();
		this.failed = false;
	}

	start() {
		// No picture for STALL_MS (an MJPEG-only capture device gives the
		// encoder nothing, a stream that hangs): give up.
		this.lastFrame = performance.now();
		this.watchdog = setInterval(() => {
			if (performance.now() - this.lastFrame > STALL_MS)
				this.fail(`no H.264 frame for ${STALL_MS / 1000} s`);
		}, 1000);
		const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
		this.ws = new WebSocket(`${proto}//${location.host}${H264_URL}`);
		this.ws.binaryType = 'arraybuffer';
		this.ws.onmessage = (e) => this.message(new Uint8Array(e.data));
		this.ws.onclose = (e) => this.fail(`the H.264 stream closed (${e.code}${e.reason ? ': ' + e.reason : ''})`);
		this.ws.onerror = () => this.fail('the H.264 stream could not be opened');
	}

	stop() {
		this.failed = true;       // no report for a close we asked for
		clearInterval(this.watchdog);
		if (this.ws)
			this.ws.close();
		if (this.decoder && this.decoder.state !== 'closed')
			this.decoder.close();
	}

	fail(reason) {
		if (this.failed)
			return;
		this.stop();
		this.onFail(reason);
	}

	// Bits a second since the last call.
	rate() {
		const now = performance.now();
		const r = this.bytes * 8 / ((now - this.since) / 1000);
		this.bytes = 0;
		this.since = now;
		return r;
	}

	message(m) {
		if (m.length < 20 || m[0] !== 1)
			return this.fail('the H.264 stream sent a message this page does not know');
		const dv = new DataView(m.buffer, m.byteOffset, m.byteLength);
		const key = (m[1] & 1) === 1;
		const hlen = dv.getUint16(2);
		const seq = dv.getUint32(8);
		const au = m.subarray(hlen);
		this.bytes += m.length;
		if (!this.decoder) {
			if (!key)
				return;       // capd starts us on a keyframe; wait for it
			const codec = codecFromAnnexB(au);
			if (!codec)
				return this.fail('the H.264 keyframe carries no SPS');
			this.decoder = new VideoDecoder({
				output: (f) => this.draw(f),
				error: (e) => this.fail(`the H.264 decoder failed: ${e.message}`),
			});
			try {
				this.decoder.configure({codec, avc: {format: 'annexb'}, optimizeForLatency: true});
			} catch (e) {
				return this.fail(`the H.264 decoder refuses ${codec}: ${e.message}`);
			}
			this.codec = codec;
		}
		this.started.set(seq, performance.now());
		try {
			this.decoder.decode(new EncodedVideoChunk({type: key ? 'key' : 'delta', timestamp: seq, data: au}));
		} catch (e) {
			this.fail(`the H.264 decoder failed: ${e.message}`);
		}
	}

	draw(f) {
		const t0 = this.started.get(f.timestamp);
		this.started.delete(f.timestamp);
		if (t0 !== undefined)
			this.decodeMs = performance.now() - t0;
		if (this.canvas.width !== f.displayWidth || this.canvas.height !== f.displayHeight) {
			this.canvas.width = f.displayWidth;
			this.canvas.height = f.displayHeight;
		}
		this.ctx.drawImage(f, 0, 0);
		this.lastFrame = performance.now();
		const w = f.displayWidth, h = f.displayHeight;
		f.close();
		this.onFrame(w, h);
	}
}
