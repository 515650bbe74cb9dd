/*
 * tap.h -- the Test Anything Protocol for unit tests, header only.
 *
 *	int main(void) {
 *		ok(1 + 1 == 2, "adds");
 *		is_int(f(3), 9, "f squares");
 *		is_str(name, "KeyA", "name of usage 4");
 *		return tap_done();
 *	}
 *
 * Meson runs each test binary with protocol 'tap' and counts its lines.
 */
#ifndef KVM_TAP_H
#define KVM_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int __attribute__((format(printf, 2, 3), unused))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

static inline void __attribute__((format(printf, 1, 2), unused))
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

#define is_int(got, want, ...)                                                 \
	do {                                                                   \
		long long g_ = (long long)(got), w_ = (long long)(want);       \
		if (!ok(g_ == w_, __VA_ARGS__))                                \
			diag("  got %lld, want %lld", g_, w_);                 \
	} while (0)

#define is_str(got, want, ...)                                                 \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		if (!ok(g_ != NULL && w_ != NULL ? strcmp(g_, w_) == 0         \
						 : g_ == w_,                   \
			__VA_ARGS__))                                          \
			diag("  got \"%s\", want \"%s\"", g_ ? g_ : "(null)",  \
			    w_ ? w_ : "(null)");                               \
	} while (0)

#define is_mem(got, want, len, ...)                                            \
	do {                                                                   \
		const unsigned char *g_ = (const unsigned char *)(got);        \
		const unsigned char *w_ = (const unsigned char *)(want);       \
		size_t l_ = (len), i_;                                         \
		int same_ = g_ != NULL && memcmp(g_, w_, l_) == 0;             \
		if (!ok(same_, __VA_ARGS__) && g_ != NULL) {                   \
			for (i_ = 0; i_ < l_ && g_[i_] == w_[i_]; i_++)        \
				;                                              \
			diag("  first difference at byte %zu: %02x != %02x",   \
			    i_, g_[i_], w_[i_]);                               \
		}                                                              \
	} while (0)

static inline int __attribute__((unused)) tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
