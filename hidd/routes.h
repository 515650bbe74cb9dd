/*
 * routes.h -- hidd's HTTP API (thin handlers over hid.h).
 */
#ifndef HIDD_ROUTES_H
#define HIDD_ROUTES_H

#include "http.h"

/* The route table; every handler gets the struct hidd_server. */
extern const struct http_route routes_table[];

#endif
