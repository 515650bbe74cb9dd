/*
 * resource.c -- the Redfish resources (resource.h).  The URLs and JSON
 * are the DMTF's (Redfish DSP0266, the schemas in DSP8010); the table
 * below is ours.  Only what this daemon can answer truthfully is listed:
 * properties that need gpiod-ctl or mediad are not served yet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reset.h"
#include "resource.h"
#include "vmedia.h"

#define BASE_REGISTRY "Base.1.8."
#define ROOT	      "/redfish/v1"

struct redfish_resource {
	const char *path;
	unsigned int methods;
	const char *allow; /* the Allow header for methods */
	json_t *(*build)(const struct redfish_state *);
	const char *xml; /* a static document instead of build */
	int needs_state; /* build shows another daemon's state */
	int reset;	 /* the Reset action */
	int patch;	 /* PATCH changes Boot (boot.h) */
	/* a collection of one member instead of build: its type and name */
	const char *coll_type, *coll_name, *coll_member;
	int needs_media; /* build shows mediad's state (vmedia.h) */
	int vmedia_op;	 /* REDFISH_OP_*: a VirtualMedia action or PATCH */
};

/* One reference per schema whose @odata.type is served (CSDL, OData 4.0
 * part 3); the test checks that each type served is declared here. */
#define CSDL_REF(file, ns, version)                                            \
	"  <edmx:Reference Uri=\"http://redfish.dmtf.org/schemas/v1/" file     \
	"_v1.xml\">\n    <edmx:Include Namespace=\"" ns "\"/>\n"               \
	"    <edmx:Include Namespace=\"" ns "." version "\"/>\n"               \
	"  </edmx:Reference>\n"
#define CSDL_COLL(ns)                                                          \
	"  <edmx:Reference Uri=\"http://redfish.dmtf.org/schemas/v1/" ns       \
	"_v1.xml\">\n    <edmx:Include Namespace=\"" ns "\"/>\n"               \
	"  </edmx:Reference>\n"

static const char metadata[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<edmx:Edmx xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\" "
    "Version=\"4.0\">\n" CSDL_REF("ServiceRoot", "ServiceRoot",
	"v1_5_0") CSDL_COLL("ComputerSystemCollection") CSDL_REF("ComputerSystem",
	"ComputerSystem",
	"v1_10_0") CSDL_COLL("ManagerCollection") CSDL_REF("Manager", "Manager",
	"v1_10_0") CSDL_COLL("ChassisCollection") CSDL_REF("Chassis", "Chassis",
	"v1_10_0") CSDL_COLL("VirtualMediaCollection") CSDL_REF("VirtualMedia",
	"VirtualMedia", "v1_5_0") CSDL_REF("Message", "Message",
	"v1_0_0") CSDL_REF("SessionService", "SessionService",
	"v1_1_8") CSDL_COLL("SessionCollection") CSDL_REF("Session", "Session",
	"v1_3_0") "  <edmx:DataServices>\n"
		  "    <Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\" "
		  "Namespace=\"Service\">\n"
		  "      <EntityContainer Name=\"Service\" "
		  "Extends=\"ServiceRoot.v1_5_0.ServiceContainer\"/>\n"
		  "    </Schema>\n"
		  "  </edmx:DataServices>\n"
		  "</edmx:Edmx>\n";

static json_t *
link_to(const char *id)
{
	return json_pack("{s:s}", "@odata.id", id);
}

static json_t *
collection(
    const char *type, const char *id, const char *name, const char *member)
{
	return redfish_collection(
	    type, id, name, json_pack("[o]", link_to(member)));
}

json_t *
redfish_collection(
    const char *type, const char *id, const char *name, json_t *members)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:I}", "@odata.type", type,
	    "@odata.id", id, "Name", name, "Members", members,
	    "Members@odata.count", (json_int_t)json_array_size(members));
}

static json_t *
build_redfish(const struct redfish_state *st)
{
	return json_pack("{s:s}", "v1", ROOT "/");
}

static json_t *
build_root(const struct redfish_state *st)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}",
	    "@odata.type", "#ServiceRoot.v1_5_0.ServiceRoot", "@odata.id", ROOT,
	    "Id", "RootService", "Name", "KaputtKVM Redfish service",
	    "RedfishVersion", "1.6.0", "Vendor", "KaputtKVM", "Systems",
	    link_to(ROOT "/Systems"), "Managers", link_to(ROOT "/Managers"),
	    "Chassis", link_to(ROOT "/Chassis"));

	/* The SessionService (session.c); Links.Sessions is where a client
	 * logs in (DSP0266 requires it in the service root). */
	json_object_set_new(
	    o, "SessionService", link_to(ROOT "/SessionService"));
	json_object_set_new(o, "Links",
	    json_pack(
		"{s:o}", "Sessions", link_to(ROOT "/SessionService/Sessions")));
	return o;
}

static json_t *
build_odata(const struct redfish_state *st)
{
	return json_pack("{s:s, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}, "
			 "{s:s, s:s, s:s}, {s:s, s:s, s:s}]}",
	    "@odata.context", ROOT "/$metadata", "value", "name", "Service",
	    "kind", "Singleton", "url", ROOT, "name", "Systems", "kind",
	    "Singleton", "url", ROOT "/Systems", "name", "Managers", "kind",
	    "Singleton", "url", ROOT "/Managers", "name", "Chassis", "kind",
	    "Singleton", "url", ROOT "/Chassis");
}

/* The target machine: KaputtKVM sits outside it (its power and reset
 * buttons, its screen, its USB). */
static json_t *
build_system(const struct redfish_state *st)
{
	const char *p = st->power;
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:[o], s:[o]}}",
	    "@odata.type", "#ComputerSystem.v1_10_0.ComputerSystem",
	    "@odata.id", ROOT "/Systems/1", "Id", "1", "Name", "Target machine",
	    "SystemType", "Physical", "Links", "ManagedBy",
	    link_to(ROOT "/Managers/1"), "Chassis", link_to(ROOT "/Chassis/1"));

	json_t *types = json_array();

	for (size_t i = 0; redfish_reset_types[i] != NULL; i++)
		json_array_append_new(
		    types, json_string(redfish_reset_types[i]));
	json_object_set_new(o, "Actions",
	    json_pack("{s:{s:s, s:o}}", "#ComputerSystem.Reset", "target",
		REDFISH_RESET_TARGET, "ResetType@Redfish.AllowableValues",
		types));
	json_object_set_new(o, "Boot", redfish_boot_json(st->boot));
	/* From the power LED, through gpiod-ctl; null when it is not known. */
	json_object_set_new(o, "PowerState",
	    strcmp(p, "on") == 0	? json_string("On")
		: strcmp(p, "off") == 0 ? json_string("Off")
					: json_null());
	return o;
}

static json_t *
build_manager(const struct redfish_state *st)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:{s:[o], s:[o]}}",
	    "@odata.type", "#Manager.v1_10_0.Manager", "@odata.id",
	    ROOT "/Managers/1", "Id", "1", "Name", "KaputtKVM", "ManagerType",
	    "BMC", "VirtualMedia", link_to(REDFISH_VMEDIA_ROOT), "Links",
	    "ManagerForServers", link_to(ROOT "/Systems/1"),
	    "ManagerForChassis", link_to(ROOT "/Chassis/1"));
}

static json_t *
build_vmedia_collection(const struct redfish_state *st)
{
	return redfish_vmedia_collection(st->luns);
}

static json_t *
build_vmedia(const struct redfish_state *st)
{
	static const struct redfish_vmedia none; /* nothing remembered */

	return redfish_vmedia_member(st->member,
	    json_array_get(st->luns, st->member),
	    st->vmedia != NULL ? &st->vmedia[st->member] : &none);
}

static json_t *
build_chassis(const struct redfish_state *st)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:[o], s:[o]}}",
	    "@odata.type", "#Chassis.v1_10_0.Chassis", "@odata.id",
	    ROOT "/Chassis/1", "Id", "1", "Name", "Target chassis",
	    "ChassisType", "Other", "Links", "ComputerSystems",
	    link_to(ROOT "/Systems/1"), "ManagedBy",
	    link_to(ROOT "/Managers/1"));
}

static const struct redfish_resource resources[] = {
    {"/redfish", HTTP_GET | HTTP_HEAD, "GET, HEAD", build_redfish},
    {ROOT, HTTP_GET | HTTP_HEAD, "GET, HEAD", build_root},
    {ROOT "/odata", HTTP_GET | HTTP_HEAD, "GET, HEAD", build_odata},
    {ROOT "/Systems", HTTP_GET | HTTP_HEAD, "GET, HEAD",
	.coll_type = "#ComputerSystemCollection.ComputerSystemCollection",
	.coll_name = "Computer System Collection",
	.coll_member = ROOT "/Systems/1"},
    {ROOT "/Systems/1", HTTP_GET | HTTP_HEAD | HTTP_PATCH, "GET, HEAD, PATCH",
	build_system, NULL, 1, .patch = 1},
    {ROOT "/Managers", HTTP_GET | HTTP_HEAD, "GET, HEAD",
	.coll_type = "#ManagerCollection.ManagerCollection",
	.coll_name = "Manager Collection", .coll_member = ROOT "/Managers/1"},
    {ROOT "/Managers/1", HTTP_GET | HTTP_HEAD, "GET, HEAD", build_manager},
    {ROOT "/Chassis", HTTP_GET | HTTP_HEAD, "GET, HEAD",
	.coll_type = "#ChassisCollection.ChassisCollection",
	.coll_name = "Chassis Collection", .coll_member = ROOT "/Chassis/1"},
    {ROOT "/Chassis/1", HTTP_GET | HTTP_HEAD, "GET, HEAD", build_chassis},
    {REDFISH_RESET_TARGET, HTTP_POST, "POST", NULL, NULL, 0, 1},
    {ROOT "/$metadata", HTTP_GET | HTTP_HEAD, "GET, HEAD", NULL, metadata},
    /* one member per LUN of mediad: '*' is its number (vmedia.h) */
    {REDFISH_VMEDIA_ROOT, HTTP_GET | HTTP_HEAD, "GET, HEAD",
	build_vmedia_collection, .needs_media = 1},
    {REDFISH_VMEDIA_ROOT "/*", HTTP_GET | HTTP_HEAD | HTTP_PATCH,
	"GET, HEAD, PATCH", build_vmedia, .needs_media = 1,
	.vmedia_op = REDFISH_OP_PATCH},
    {REDFISH_VMEDIA_ROOT "/*/Actions/VirtualMedia.InsertMedia", HTTP_POST,
	"POST", .vmedia_op = REDFISH_OP_INSERT},
    {REDFISH_VMEDIA_ROOT "/*/Actions/VirtualMedia.EjectMedia", HTTP_POST,
	"POST", .vmedia_op = REDFISH_OP_EJECT},
    {NULL, 0, NULL, NULL, NULL},
};

json_t *
redfish_error(
    const char *message_id, const char *message, const char *resolution)
{
	char id[64];

	snprintf(id, sizeof(id), "%s%s", BASE_REGISTRY, message_id);
	return json_pack("{s:{s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:s}]}}",
	    "error", "code", id, "message", message, "@Message.ExtendedInfo",
	    "@odata.type", "#Message.v1_0_0.Message", "MessageId", id,
	    "Message", message, "Severity", "Critical", "Resolution",
	    resolution);
}

void
redfish_not_allowed(struct redfish_reply *out, const char *allow)
{
	out->status = 405;
	out->allow = allow;
	out->body = redfish_error("GeneralError",
	    "This method is not allowed on this resource; the Allow header "
	    "lists the ones that are.",
	    "Resubmit the request with one of the methods in Allow.");
}

/* FNV-1a of the compact JSON: changes whenever the resource does. */
static void
set_etag(struct redfish_reply *out)
{
	char *s = json_dumps(out->body, JSON_COMPACT | JSON_SORT_KEYS);
	unsigned int h = 2166136261u;

	for (const char *p = s ? s : ""; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	free(s);
	snprintf(out->etag, sizeof(out->etag), "W/\"%08x\"", h);
	json_object_set_new(out->body, "@odata.etag", json_string(out->etag));
}

int
redfish_trim_path(const char *path, char *buf, size_t len)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n >= len)
		return -1;
	memcpy(buf, path, n);
	buf[n] = '\0';
	return 0;
}

/* Whether path is pattern, where a '*' stands for a VirtualMedia
 * member's id (its number in *ret_member). */
static int
matches(const char *pattern, const char *path, int *ret_member)
{
	const char *star = strchr(pattern, '*');
	size_t head, n;

	if (star == NULL)
		return strcmp(pattern, path) == 0;
	head = (size_t)(star - pattern);
	if (strncmp(pattern, path, head) != 0)
		return 0;
	path += head;
	n = strcspn(path, "/");
	if ((*ret_member = redfish_vmedia_id(path, n)) < 0)
		return 0;
	return strcmp(star + 1, path + n) == 0;
}

void
redfish_resolve(enum http_method method, const char *path,
    const struct redfish_state *st, struct redfish_reply *out)
{
	const struct redfish_resource *r = NULL;
	struct redfish_state mst;
	char p[256];
	int member = 0;

	memset(out, 0, sizeof(*out));
	if (redfish_trim_path(path, p, sizeof(p)) == 0)
		for (r = resources; r->path != NULL; r++)
			if (matches(r->path, p, &member))
				break;
	/* a member mediad does not have (once its LUNs are known) */
	if (r != NULL && r->path != NULL && strchr(r->path, '*') != NULL &&
	    st != NULL && st->luns != NULL &&
	    (size_t)member >= json_array_size(st->luns))
		r = NULL;
	if (r == NULL || r->path == NULL) {
		out->status = 404;
		out->body = redfish_error("ResourceMissingAtURI",
		    "The resource at the URI is not served here.",
		    "Place a valid resource at the URI or correct the URI and "
		    "resubmit the request.");
		return;
	}
	if ((r->methods & method) == 0) {
		redfish_not_allowed(out, r->allow);
		return;
	}
	out->status = 200;
	out->member = member;
	if (r->vmedia_op != REDFISH_OP_NONE &&
	    (method == HTTP_POST || method == HTTP_PATCH)) {
		out->vmedia_op = r->vmedia_op;
		return;
	}
	if (r->needs_media && (st == NULL || st->luns == NULL)) {
		if (st == NULL) {
			out->needs_media = 1;
			return;
		}
		out->status = 503;
		out->body = redfish_error("GeneralError",
		    "mediad, which keeps the virtual media, does not answer.",
		    "Check mediad (kaputtkvm-mediad.service) and retry.");
		return;
	}
	if (st != NULL) { /* the builders see the member */
		mst = *st;
		mst.member = member;
		st = &mst;
	}
	if (r->reset) {
		out->reset = 1;
		return;
	}
	if (r->patch && method == HTTP_PATCH) {
		out->patch = 1;
		return;
	}
	if (r->xml != NULL) {
		out->xml = r->xml;
		return;
	}
	if (r->needs_state && st == NULL) {
		out->needs_state = 1;
		return;
	}
	out->body = r->coll_type != NULL
	    ? collection(r->coll_type, r->path, r->coll_name, r->coll_member)
	    : r->build(st);
	set_etag(out);
}
