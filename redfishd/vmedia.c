/*
 * vmedia.c -- Managers/1/VirtualMedia (vmedia.h).  The names are the
 * DMTF's (VirtualMedia, DSP8010).  A member is a LUN of mediad's mass
 * storage gadget: an image is inserted by fetching its URL into mediad's
 * store (TransferMethod Upload: the KVM keeps a copy while it is in) and
 * mounting it on the LUN, as a CD (read-only) or a USB stick.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "boot.h"
#include "resource.h"
#include "vmedia.h"
#include "xmalloc.h"

const char *const redfish_vmedia_protocols[] = {"HTTP", "HTTPS", NULL};
const char *const redfish_vmedia_types[] = {"CD", "DVD", "USBStick", NULL};
static const char *const methods[] = {"Upload", NULL};

/* The parameters of InsertMedia, which are also the member's writable
 * properties (but MediaType, which only the action takes). */
enum { F_IMAGE, F_INSERTED, F_WP, F_TYPE, F_PROTO, F_METHOD, F_USER, F_PASS };
static const struct {
	const char *name;
	int boolean;		   /* else a string */
	const char *const *values; /* allowable values, or NULL */
	int action_only;
} fields[] = {
    [F_IMAGE] = {"Image", 0, NULL, 0},
    [F_INSERTED] = {"Inserted", 1, NULL, 0},
    [F_WP] = {"WriteProtected", 1, NULL, 0},
    [F_TYPE] = {"MediaType", 0, redfish_vmedia_types, 1},
    [F_PROTO] = {"TransferProtocolType", 0, redfish_vmedia_protocols, 0},
    [F_METHOD] = {"TransferMethod", 0, methods, 0},
    [F_USER] = {"UserName", 0, NULL, 0},
    [F_PASS] = {"Password", 0, NULL, 0},
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* The member's properties that a PATCH may not change. */
static const char *const read_only[] = {"@odata.type", "@odata.id",
    "@odata.etag", "Id", "Name", "MediaTypes", "ImageName", "ConnectedVia",
    "Actions", NULL};

/* The values read from a body: json NULL for a field not given. */
struct args {
	json_t *v[NFIELDS];
};

void
redfish_vmedia_insert_free(struct redfish_insert *ins)
{
	free(ins->url);
	free(ins->shown);
	free(ins->user);
	memset(ins, 0, sizeof(*ins));
}

void
redfish_vmedia_clear(struct redfish_vmedia *vm)
{
	int busy = vm->busy;

	free(vm->image);
	free(vm->name);
	free(vm->user);
	memset(vm, 0, sizeof(*vm));
	vm->busy = busy;
}

/*
 * A 400: *ret_error a Redfish error about parameter (or property) name,
 * -EINVAL.  kind is the tail of the message id ("Unknown", ...), which is
 * ActionParameter<kind> for the action and Property<kind> for a PATCH.
 */
static int
refuse(json_t **ret_error, int patch, const char *kind, const char *name,
    const char *what, const char *resolution)
{
	char id[64], msg[320];

	snprintf(id, sizeof(id), "%s%s", patch ? "Property" : "ActionParameter",
	    kind);
	snprintf(msg, sizeof(msg), "The %s %.80s %s",
	    patch ? "property" : "parameter", name, what);
	*ret_error = redfish_error(id, msg, resolution);
	return -EINVAL;
}

/* One member of the body into a; 0 or -EINVAL with *ret_error. */
static int
read_field(
    struct args *a, const char *key, json_t *v, int patch, json_t **ret_error)
{
	size_t i;

	for (i = 0; i < NFIELDS; i++)
		if (strcmp(fields[i].name, key) == 0 &&
		    !(patch && fields[i].action_only))
			break;
	if (i == NFIELDS) {
		if (patch && redfish_value_index(read_only, key) >= 0)
			return refuse(ret_error, 1, "NotWritable", key,
			    "is read-only.",
			    "Remove it from the request body.");
		return refuse(ret_error, patch, "Unknown", key,
		    patch ? "is not a property of VirtualMedia."
			  : "is not a parameter of InsertMedia.",
		    "Remove it from the request body.");
	}
	/* null: not given (Image null is a PATCH's eject) */
	if (json_is_null(v) && (i != F_IMAGE || patch)) {
		a->v[i] = v;
		return 0;
	}
	if (fields[i].boolean ? !json_is_boolean(v) : !json_is_string(v))
		return refuse(ret_error, patch, "ValueTypeError", key,
		    fields[i].boolean ? "must be true or false."
				      : "must be a string.",
		    "Resubmit with a value of the right type.");
	if (fields[i].values != NULL &&
	    redfish_value_index(fields[i].values, json_string_value(v)) < 0)
		return refuse(ret_error, patch, "ValueNotInList", key,
		    i == F_METHOD
			? "is not Upload: the KVM copies the image into its "
			  "store and serves it from there (Stream is not "
			  "offered)."
			: "has a value that is not one of its allowable values "
			  "(@Redfish.AllowableValues of the InsertMedia "
			  "action).",
		    "Resubmit with an allowable value.");
	a->v[i] = v;
	return 0;
}

/* The body, a JSON object, into a (borrowed from *ret_obj, which the
 * caller frees); *ret and *ret_error emptied. */
static int
read_body(const char *body, size_t len, int patch, struct args *a,
    json_t **ret_obj, struct redfish_insert *ret, json_t **ret_error)
{
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	const char *key;
	json_t *v;

	memset(a, 0, sizeof(*a));
	memset(ret, 0, sizeof(*ret));
	*ret_error = NULL;
	*ret_obj = o;
	if (!json_is_object(o)) {
		*ret_error = redfish_error("MalformedJSON",
		    "The request body is not a JSON object.",
		    "Send {\"Image\": \"https://HOST/PATH.iso\"} and the other "
		    "parameters wanted.");
		return -EINVAL;
	}
	json_object_foreach(o, key, v)
	{
		if (read_field(a, key, v, patch, ret_error) < 0)
			return -EINVAL;
	}
	return 0;
}

static const char *
str(const struct args *a, int f)
{
	return json_string_value(a->v[f]);
}

/* Image with UserName and Password (libcurl's URL API encodes them) for
 * fetchd, and without for Image; a URL libcurl cannot parse goes to
 * fetchd as it is, which refuses it with its reason. */
static void
with_credentials(const char *image, const char *user, const char *pass,
    struct redfish_insert *ins)
{
	CURLU *u = curl_url();
	char *s = NULL, *scheme = NULL;

	if (u == NULL)
		xmalloc_fatal("redfishd");
	ins->protocol = -1;
	if (curl_url_set(u, CURLUPART_URL, image, 0) != CURLUE_OK) {
		ins->url = xstrdup(image);
		ins->shown = xstrdup(image);
		curl_url_cleanup(u);
		return;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK)
		ins->protocol = strcmp(scheme, "http") == 0 ? 0
		    : strcmp(scheme, "https") == 0	    ? 1
							    : -1;
	if (user != NULL)
		curl_url_set(u, CURLUPART_USER, user, CURLU_URLENCODE);
	if (pass != NULL)
		curl_url_set(u, CURLUPART_PASSWORD, pass, CURLU_URLENCODE);
	if (curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK)
		xmalloc_fatal("redfishd");
	ins->url = xstrdup(s);
	curl_free(s);
	curl_url_set(u, CURLUPART_USER, NULL, 0);
	curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
	if (curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK)
		xmalloc_fatal("redfishd");
	ins->shown = xstrdup(s);
	curl_free(s);
	curl_free(scheme);
	curl_url_cleanup(u);
}

/* The insert that a holds; 0 or -EINVAL with *ret_error. */
static int
make_insert(const struct args *a, int patch, struct redfish_insert *ins,
    json_t **ret_error)
{
	int type = redfish_value_index(redfish_vmedia_types, str(a, F_TYPE));
	int wp = json_is_boolean(a->v[F_WP]) ? json_is_true(a->v[F_WP]) : -1;
	int proto =
	    redfish_value_index(redfish_vmedia_protocols, str(a, F_PROTO));

	if (str(a, F_IMAGE) == NULL)
		return refuse(ret_error, patch, "Missing", "Image",
		    "is needed: the URL of the image to insert.",
		    "Resubmit with Image, an http:// or https:// URL.");
	if (json_is_false(a->v[F_INSERTED]))
		return refuse(ret_error, patch,
		    patch ? "ValueConflict" : "NotSupported", "Inserted",
		    "false with an Image is not offered: an image is in the "
		    "drive once it is given.",
		    "Leave Inserted out (or true); eject with EjectMedia.");
	if (type < 0) /* CD unless asked for a writable medium */
		type = wp == 0 ? 2 : 0;
	if (type != 2 && wp == 0)
		return refuse(ret_error, patch, "ValueConflict",
		    "WriteProtected",
		    "is false, but a CD or DVD is always read-only.",
		    "Use MediaType USBStick for a writable medium, or leave "
		    "WriteProtected out.");
	with_credentials(str(a, F_IMAGE), str(a, F_USER), str(a, F_PASS), ins);
	if (proto >= 0 && ins->protocol >= 0 && proto != ins->protocol) {
		redfish_vmedia_insert_free(ins);
		return refuse(ret_error, patch, "ValueConflict",
		    "TransferProtocolType",
		    "is not the scheme of the URL in Image.",
		    "Leave TransferProtocolType out, or give the URL's "
		    "(HTTP for http://, HTTPS for https://).");
	}
	ins->user = str(a, F_USER) ? xstrdup(str(a, F_USER)) : NULL;
	ins->cdrom = type != 2;
	ins->readonly = wp != 0;
	return 0;
}

int
redfish_vmedia_insert_parse(const char *body, size_t len,
    struct redfish_insert *ret, json_t **ret_error)
{
	struct args a;
	json_t *o;
	int r = read_body(body, len, 0, &a, &o, ret, ret_error);

	if (r == 0)
		r = make_insert(&a, 0, ret, ret_error);
	json_decref(o);
	return r;
}

int
redfish_vmedia_eject_parse(const char *body, size_t len, json_t **ret_error)
{
	json_t *o;
	int r = 0;

	*ret_error = NULL;
	while (len > 0 && strchr(" \t\r\n", body[len - 1]) != NULL)
		len--;
	if (len == 0)
		return 0;
	o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o) || json_object_size(o) > 0) {
		*ret_error =
		    redfish_error(json_is_object(o) ? "ActionParameterUnknown"
						    : "MalformedJSON",
			"EjectMedia takes no parameters.",
			"Send an empty body or {}.");
		r = -EINVAL;
	}
	json_decref(o);
	return r;
}

int
redfish_vmedia_patch_parse(const char *body, size_t len,
    struct redfish_insert *ret, json_t **ret_error)
{
	struct args a;
	json_t *o;
	int r = read_body(body, len, 1, &a, &o, ret, ret_error);

	if (r < 0)
		goto out;
	if (json_is_false(a.v[F_INSERTED]) || json_is_null(a.v[F_IMAGE])) {
		r = str(&a, F_IMAGE) != NULL
		    ? refuse(ret_error, 1, "ValueConflict", "Inserted",
			  "is false, but Image names an image to insert.",
			  "Send {\"Image\": null} (or Inserted false alone) to "
			  "eject, or an Image alone to insert.")
		    : REDFISH_VMEDIA_EJECT;
		goto out;
	}
	if (str(&a, F_IMAGE) == NULL)
		r = refuse(ret_error, 1, "Missing", "Image",
		    "is needed: a PATCH of VirtualMedia inserts an Image or "
		    "ejects (Image null).",
		    "Send {\"Image\": URL} to insert or {\"Image\": null} to "
		    "eject.");
	else if ((r = make_insert(&a, 1, ret, ret_error)) == 0)
		r = REDFISH_VMEDIA_INSERT;
out:
	json_decref(o);
	return r;
}

void
redfish_vmedia_store_name(const char *shown, int lun, char *buf, size_t len)
{
	const char *p = strstr(shown, "://"), *end, *seg;
	size_t n, i;

	p = p != NULL ? strchr(p + 3, '/') : NULL;
	if (p == NULL)
		p = "";
	end = p + strcspn(p, "?#");
	for (seg = end; seg > p && seg[-1] != '/'; seg--)
		;
	n = snprintf(buf, len, REDFISH_VMEDIA_STORE_PREFIX "lun%d-", lun);
	/* The segment is as the URL spells it (percent-encoded): printable
	 * ASCII without '/', a name mediad takes. */
	for (i = 0; seg + i < end && n + 1 < len && i < 200; i++)
		buf[n++] = (seg[i] > ' ' && seg[i] < 0x7f) ? seg[i] : '_';
	if (i == 0)
		n += snprintf(buf + n, len - n, "image");
	buf[n < len ? n : len - 1] = '\0';
}

json_t *
redfish_vmedia_collection(const json_t *luns)
{
	json_t *members = json_array();
	char id[96];
	size_t n = json_array_size(luns);

	for (size_t i = 0; i < n && i < REDFISH_VMEDIA_MAX; i++) {
		snprintf(id, sizeof(id), REDFISH_VMEDIA_ROOT "/%zu", i);
		json_array_append_new(
		    members, json_pack("{s:s}", "@odata.id", id));
	}
	return redfish_collection(
	    "#VirtualMediaCollection.VirtualMediaCollection",
	    REDFISH_VMEDIA_ROOT, "Virtual Media Collection", members);
}

static json_t *
string_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

json_t *
redfish_vmedia_member(
    int lun, const json_t *lunstate, const struct redfish_vmedia *vm)
{
	const char *name =
	    json_string_value(json_object_get(lunstate, "image"));
	int in = json_is_true(json_object_get(lunstate, "mounted"));
	/* ours: the medium redfishd fetched is the one mediad has */
	int ours = in && name != NULL && vm->name != NULL &&
	    strcmp(vm->name, name) == 0;
	char id[96], insert[160], eject[160], title[48], lunid[8];
	json_t *o;

	snprintf(lunid, sizeof(lunid), "%d", lun);
	snprintf(id, sizeof(id), REDFISH_VMEDIA_ROOT "/%d", lun);
	snprintf(
	    insert, sizeof(insert), "%s/Actions/VirtualMedia.InsertMedia", id);
	snprintf(
	    eject, sizeof(eject), "%s/Actions/VirtualMedia.EjectMedia", id);
	snprintf(
	    title, sizeof(title), "Virtual drive %d (CD or USB stick)", lun);
	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s}", "@odata.type",
	    "#VirtualMedia.v1_5_0.VirtualMedia", "@odata.id", id, "Id", lunid,
	    "Name", title, "MediaTypes",
	    redfish_values_json(redfish_vmedia_types), "ConnectedVia",
	    ours     ? "URI"
		: in ? "Applet" /* the web page or mediactl put it there */
		     : "NotConnected");
	json_object_set_new(
	    o, "Image", string_or_null(ours ? vm->image : NULL));
	json_object_set_new(o, "ImageName", string_or_null(in ? name : NULL));
	json_object_set_new(o, "Inserted", json_boolean(in));
	json_object_set_new(o, "WriteProtected",
	    json_boolean(
		!in || json_is_true(json_object_get(lunstate, "readonly"))));
	json_object_set_new(o, "TransferProtocolType",
	    string_or_null(ours && vm->protocol >= 0
		    ? redfish_vmedia_protocols[vm->protocol]
		    : NULL));
	json_object_set_new(
	    o, "TransferMethod", string_or_null(ours ? "Upload" : NULL));
	json_object_set_new(
	    o, "UserName", string_or_null(ours ? vm->user : NULL));
	json_object_set_new(o, "Password", json_null()); /* never shown */
	json_object_set_new(o, "Actions",
	    json_pack("{s:{s:s, s:o, s:o, s:o}, s:{s:s}}",
		"#VirtualMedia.InsertMedia", "target", insert,
		"TransferProtocolType@Redfish.AllowableValues",
		redfish_values_json(redfish_vmedia_protocols),
		"TransferMethod@Redfish.AllowableValues",
		redfish_values_json(methods),
		"MediaType@Redfish.AllowableValues",
		redfish_values_json(redfish_vmedia_types),
		"#VirtualMedia.EjectMedia", "target", eject));
	return o;
}

int
redfish_vmedia_id(const char *s, size_t len)
{
	int v = 0;

	if (len == 0 || len > 2 || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v < REDFISH_VMEDIA_MAX ? v : -1;
}
