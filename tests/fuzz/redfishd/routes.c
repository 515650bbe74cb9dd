/*
 * routes.c -- fuzz target redfishd-routes: redfishd's real route table
 * (the Redfish resources, the SessionService, /auth/token, /state,
 * /metrics), as redfishd.c's main() sets it up, behind the real HTTP
 * server on a socket of its own.  Each input is what one client sends on
 * one connection (tests/fuzz/common/peer.h); the replies are checked
 * against Redfish's format (PEER_ENVELOPE_REDFISH).
 *
 * The password file has the user admin with the password "kaputt" (a
 * SHA-512 crypt hash made here at the fewest rounds, 1000, to keep logins
 * quick), so logins with the right and a wrong password both happen, and
 * at most 4 sessions, so the limit is reached too.  gpiod-ctl's and
 * fetchd's sockets are paths where nobody listens: a Reset, PowerState
 * and an insert's fetch end in their errors, and no input reaches a line
 * or the network.  mediad is a small fake on the same loop whose GET
 * /state has two LUNs, 0 empty and 1 holding a copy redfishd does not
 * remember, so that the VirtualMedia members are served and their inserts
 * and ejects parsed; anything else it is asked (/mount, /eject) is its
 * server's 404.  redfishd keeps its state in memory only (sessions, the
 * boot override, what it remembers of the media): it is all made anew
 * for each input.
 */
#include <crypt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "envelope.h"
#include "error.h"
#include "http.h"
#include "log.h"
#include "peer.h"
#include "service.h"
#include "sock.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* mediad's GET /state as the fake answers it (its "luns"). */
static const char mediad_state[] =
    "{\"ok\": true, \"result\": {\"luns\": ["
    "{\"lun\": 0, \"cdrom\": true, \"mounted\": false, \"image\": null, "
    "\"readonly\": true},"
    "{\"lun\": 1, \"cdrom\": false, \"mounted\": true, "
    "\"image\": \"redfish-lun1-fuzz.img\", \"readonly\": false}]}}";

static char sock[128], mediad_sock[128];
/* What config_load() made of the command line: kept for every input. */
static struct config_common common;

static void
fake_mediad_state(struct http_request *req, void *arg)
{
	http_reply(
	    req, 200, "application/json", mediad_state, strlen(mediad_state));
}

static const struct http_route fake_mediad_routes[] = {
    {"/state", HTTP_GET, fake_mediad_state, 0, NULL},
    {NULL, 0, NULL, 0, NULL},
};

/* The password file, then the options from a command line, as main()
 * loads them (with an empty config file: the default one is the
 * machine's), once. */
static void
setup_once(void)
{
	struct crypt_data cd = {0};
	char line[256], conf[128], pw[128], gpiod[128], fetchd[128];
	char *argv[] = {"redfishd", "--config", conf, "--socket", sock,
	    "--socket-mode", "0600", "--gpiod-socket", gpiod, "--fetchd-socket",
	    fetchd, "--mediad-socket", mediad_sock, "--htpasswd", pw,
	    "--max-sessions", "4", "--power-cycle-wait", "100", NULL};
	const char *dir = peer_tmpdir(), *hash;
	int n;

	log_init("redfishd");
	signal(SIGPIPE, SIG_IGN);
	snprintf(sock, sizeof(sock), "%s/redfishd.sock", dir);
	snprintf(mediad_sock, sizeof(mediad_sock), "%s/mediad.sock", dir);
	snprintf(gpiod, sizeof(gpiod), "%s/gpiod-ctl.sock", dir);
	snprintf(fetchd, sizeof(fetchd), "%s/fetchd.sock", dir);
	snprintf(conf, sizeof(conf), "%s/kaputtkvm.conf", dir);
	snprintf(pw, sizeof(pw), "%s/htpasswd", dir);
	peer_write_file(conf, "", 0);
	hash = crypt_r("kaputt", "$6$rounds=1000$kaputtfuzz$", &cd);
	if (hash == NULL || hash[0] != '$') {
		fprintf(stderr,
		    "redfishd-routes: crypt_r() makes no SHA-512 hash\n");
		abort();
	}
	n = snprintf(line, sizeof(line), "admin:%s\n", hash);
	peer_write_file(pw, line, (size_t)n);
	if (config_load(&redfishd_spec, &common,
		(int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) != 0)
		abort(); /* it said why */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct peer_daemon pd = {
	    NULL, NULL, 10, 300, NULL, NULL, NULL, PEER_ENVELOPE_REDFISH};
	struct http_server_config hc = {0};
	struct sock_listen_config lc = {mediad_sock, 0600, NULL};
	struct http_server *mediad = NULL;
	struct event_base *base = NULL; /* the handlers' arg, as in main() */
	struct daemon *d = NULL;
	int fd;

	if (size > 100000)
		return 0;
	if (sock[0] == '\0')
		setup_once();
	if (redfishd_service_init() < 0 ||
	    daemon_start(
		&redfishd_spec, &common, &hc, redfishd_routes, &base, &d) < 0 ||
	    (mediad = http_server_new(
		 daemon_base(d), &hc, fake_mediad_routes, NULL)) == NULL ||
	    sock_listen(&lc, &fd) < 0 ||
	    http_server_add_listener(mediad, fd) < 0) {
		fprintf(stderr, "redfishd-routes: %s\n", error_get());
		abort();
	}
	base = daemon_base(d);
	daemon_ready(d);
	pd.base = base;
	pd.path = sock;
	peer_run(&pd, data, size);
	/* as main() stops */
	http_server_free(mediad);
	daemon_free(d);
	redfishd_service_free();
	return 0;
}
