/*
 * sha256hex.h -- the SHA-256 hex digest of a buffer, for the store tests.
 */
#ifndef TEST_SHA256HEX_H
#define TEST_SHA256HEX_H

#include <stdio.h>

#include <openssl/evp.h>

/* hex gets 64 digits and a NUL. */
static void
sha256(const void *data, size_t len, char *hex)
{
	unsigned char md[32];
	unsigned int mdlen, i;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < mdlen; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
}

#endif
