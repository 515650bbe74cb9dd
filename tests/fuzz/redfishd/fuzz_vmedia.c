/*
 * fuzz_vmedia.c -- fuzz target redfishd-vmedia: the bodies of
 * VirtualMedia.InsertMedia, of EjectMedia and of a PATCH of a VirtualMedia
 * member (vmedia.h), the first byte choosing which.  Either an insert
 * (URLs for fetchd and for Image, a CD always read-only), an eject and no
 * error, or a Redfish error with @Message.ExtendedInfo and nothing
 * inserted.  The store's name made from Image is always one mediad takes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"
#include "vmedia.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_error(json_t *error)
{
	if (json_array_size(json_object_get(
		json_object_get(error, "error"), "@Message.ExtendedInfo")) != 1)
		abort();
}

static void
check_insert(const struct redfish_insert *ins, int lun)
{
	char name[256];
	size_t n;

	if (ins->url == NULL || ins->shown == NULL ||
	    (ins->cdrom && !ins->readonly) || ins->protocol < -1 ||
	    ins->protocol > 1)
		abort();
	redfish_vmedia_store_name(ins->shown, lun, name, sizeof(name));
	n = strlen(name);
	if (n == 0 || n > 255 || strchr(name, '/') != NULL ||
	    strncmp(name, REDFISH_VMEDIA_STORE_PREFIX,
		strlen(REDFISH_VMEDIA_STORE_PREFIX)) != 0)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] <= ' ' ||
		    (unsigned char)name[i] >= 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct redfish_insert ins;
	json_t *error = NULL;
	const char *body = (const char *)data + 1;
	int r;

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		r = redfish_vmedia_insert_parse(body, size - 1, &ins, &error);
		if (r == 0)
			check_insert(&ins, data[0] % REDFISH_VMEDIA_MAX);
		else if (r != -22 || ins.url != NULL)
			abort();
		break;
	case 1:
		memset(&ins, 0, sizeof(ins));
		r = redfish_vmedia_eject_parse(body, size - 1, &error);
		if (r != 0 && r != -22)
			abort();
		break;
	default:
		r = redfish_vmedia_patch_parse(body, size - 1, &ins, &error);
		if (r == REDFISH_VMEDIA_INSERT)
			check_insert(&ins, 0);
		else if (r == REDFISH_VMEDIA_EJECT) {
			if (ins.url != NULL)
				abort();
		} else if (r != -22 || ins.url != NULL)
			abort();
		break;
	}
	if ((r < 0) != (error != NULL))
		abort();
	if (error != NULL)
		check_error(error);
	json_decref(error);
	redfish_vmedia_insert_free(&ins);
	return 0;
}
