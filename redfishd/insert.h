/*
 * insert.h -- the VirtualMedia requests that need the other daemons: a GET
 * shows mediad's LUNs; InsertMedia (and the PATCH form) has fetchd fetch
 * the image into mediad's store, waits until it is there, and mounts it
 * on the LUN through mediad; EjectMedia unmounts it and removes the copy.
 * A copy redfishd no longer remembers (it restarted) gets its URL back from
 * fetchd's /state.  Every call is client_call_async(): the loop never waits.
 *
 * The reply to an insert comes only once the medium is mounted (or the
 * insert failed and nothing is left): sushy and ansible go on at once
 * after the POST (a boot from the CD follows), neither polls a Task.
 */
#ifndef REDFISHD_INSERT_H
#define REDFISHD_INSERT_H

#include "resource.h"

struct event_base;
struct http_request;

struct redfish_media_config {
	const char *mediad_socket;
	const char *fetchd_socket;
	int insert_timeout_s; /* fetch and mount, at most */
	/* sends a reply (redfishd.c's, with Redfish's headers) */
	void (*send)(struct http_request *, struct redfish_reply *);
};

/* A request rr (from redfish_resolve() without state) said needs_media or
 * vmedia_op for: answers it, now or when done. */
void redfish_media_handle(struct http_request *, struct event_base *,
    const struct redfish_media_config *);

#endif
