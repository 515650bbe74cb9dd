/*
 * client_reply.c -- fuzz target: the parser of a daemon's HTTP reply (one
 * daemon's reply is peer input to another), whole and its head alone.
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
	long long clen;
	size_t hlen;
	int eof, ret;

	for (eof = 0; eof <= 1; eof++) {
		/* the head alone, as client_call_stream() reads it */
		ret = client_parse_head(
		    (const char *)data, size, eof, &r, &hlen, &clen);
		if (ret == 1) {
			if (r.status < 100 || r.status > 599 || hlen > size ||
			    clen < -1)
				abort();
			client_reply_free(&r);
		} else if (ret != 0 && ret != -71 /* EPROTO */)
			abort();
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
