/*
 * metrics.h -- Prometheus text exposition format, built line by line.
 *
 *	struct metrics *m = metrics_new("capd");
 *	metrics_gauge(m, "clients", "Connected stream clients.", n);
 *	metrics_declare(m, "client_fps", "gauge", "Frames per second sent.");
 *	metrics_sample(m, "client_fps", "client=\"c12\"", 29.9);
 *	metrics_reply(req, m);	(frees m)
 *
 * Names get the prefix "kaputtkvm_<daemon>_".  Label values given to
 * metrics_label() are escaped.
 */
#ifndef KVM_METRICS_H
#define KVM_METRICS_H

struct http_request;
struct metrics;

struct metrics *metrics_new(const char *daemon);
void metrics_free(struct metrics *);
void metrics_declare(
    struct metrics *, const char *name, const char *type, const char *help);
void metrics_sample(
    struct metrics *, const char *name, const char *labels, double value);
void metrics_gauge(
    struct metrics *, const char *name, const char *help, double value);
void metrics_counter(
    struct metrics *, const char *name, const char *help, double value);
/* Formats key="escaped value" into buf; returns buf. */
char *metrics_label(char *buf, size_t len, const char *key, const char *value);
const char *metrics_text(struct metrics *, size_t *ret_len);
/* Replies 200 text/plain; version=0.0.4 and frees m. */
void metrics_reply(struct http_request *, struct metrics *);

#endif
