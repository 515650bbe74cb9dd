/*
 * client_reply.c -- fuzz target: the parser of a daemon's HTTP reply (one
 * daemon's reply is peer input to another).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct client_reply r;
	int eof, ret;

	for (eof = 0; eof <= 1; eof++) {
		ret = client_parse_reply((const char *)data, size, eof, &r);
		if (ret == 1) {
			if (r.status < 100 || r.status > 599 ||
			    r.body[r.body_len] != '\0' || r.body_len > size)
				abort();
			client_reply_free(&r);
		} else if (ret != 0 && ret != -71 /* EPROTO */)
			abort();
	}
	return 0;
}
