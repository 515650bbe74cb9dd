/*
 * fuzz_name.c -- the image name validator never accepts a name that could
 * leave the store directory or hide in it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "name.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i;

	if (name_check((const char *)data, size) != 0) {
		if (error_get() == NULL)
			abort();
		return 0;
	}
	if (size == 0 || size > NAME_MAX_BYTES || data[0] == '.')
		abort();
	for (i = 0; i < size; i++)
		if (data[i] == '/' || data[i] < 0x20 || data[i] == 0x7f)
			abort();
	return 0;
}
