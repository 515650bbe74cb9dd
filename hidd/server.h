/*
 * server.h -- what hidd's HTTP and WebSocket handlers share.
 */
#ifndef HIDD_SERVER_H
#define HIDD_SERVER_H

#include "ws.h"

struct hid;
struct paste;
struct hidws_client;
struct daemon;

struct hidd_server {
	struct hid *hid;
	struct paste *paste;
	struct daemon *daemon;
	struct ws_config ws;
	struct hidws_client *clients; /* connected pages */
	unsigned int nclients;
};

#endif
