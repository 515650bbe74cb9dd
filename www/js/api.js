// api.js -- talking to the daemons through nginx's URL map (/api/video,
// /api/hid, /api/media, /api/gpio).  Every reply is the daemons' JSON
// envelope; every failure becomes an Error whose message a person can read
// (the daemon's own message when there is one).  State-changing requests
// carry the header nginx demands against cross-site requests.

export const CSRF_HEADER = 'X-KaputtKVM';

// Turns a reply (status, body text) into the result or a readable Error.
export function parseReply(what, status, text) {
	let body = null;
	try {
		body = JSON.parse(text);
	} catch (e) {
		body = null;
	}
	if (status >= 200 && status < 300 && body && body.ok)
		return body.result;
	const err = new Error(describe(what, status, body, text));
	err.status = status;
	err.code = body && body.error ? body.error.code : null;
	throw err;
}

// The words for a failed request.
function describe(what, status, body, text) {
	if (body && body.error && body.error.message)
		return `${what}: ${body.error.message}`;
	if (status === 0)
		return `${what}: the KVM cannot be reached (network down?)`;
	if (status === 502 || status === 504)
		return `${what}: the daemon is not answering (HTTP ${status}); it may be restarting`;
	const snippet = (text || '').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
	return `${what}: HTTP ${status}${snippet ? ' — ' + snippet.slice(0, 120) : ''}`;
}

// GET or POST/PUT/DELETE with a JSON body; resolves to the result.
export async function call(method, path, body, what) {
	const opts = {method, headers: {}, credentials: 'same-origin', cache: 'no-store'};
	if (method !== 'GET' && method !== 'HEAD')
		opts.headers[CSRF_HEADER] = '1';
	if (body !== undefined) {
		opts.headers['Content-Type'] = 'application/json';
		opts.body = JSON.stringify(body);
	}
	let resp;
	try {
		resp = await fetch(path, opts);
	} catch (e) {
		const err = new Error(`${what || method + ' ' + path}: the KVM cannot be reached (${e.message})`);
		err.status = 0;
		throw err;
	}
	const text = await resp.text();
	return parseReply(what || `${method} ${path}`, resp.status, text);
}

export const get = (path, what) => call('GET', path, undefined, what);
export const post = (path, body, what) => call('POST', path, body === undefined ? {} : body, what);
export const del = (path, what) => call('DELETE', path, undefined, what);

// Human-readable byte counts.
export function bytes(n) {
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let i = 0;
	while (n >= 1024 && i < units.length - 1) {
		n /= 1024;
		i++;
	}
	return `${i ? n.toFixed(n < 10 ? 1 : 0) : n} ${units[i]}`;
}

// Shows a message in an element: kind is "", "ok" or "error".
export function say(el, text, kind = '') {
	el.textContent = text;
	el.dataset.kind = kind;
}
