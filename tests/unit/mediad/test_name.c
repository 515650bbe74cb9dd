/*
 * test_name.c -- the image name validator, as a table.
 */
#include <errno.h>
#include <string.h>

#include "error.h"
#include "name.h"
#include "tap.h"

struct name_case {
	const char *name;
	size_t len; /* 0: strlen */
	int want;
	const char *what;
};

static const struct name_case cases[] = {
    {"debian.iso", 0, 0, "plain name"},
    {"Windows 11 (x64).iso", 0, 0, "spaces and parentheses"},
    {"a", 0, 0, "one byte"},
    {"a..b", 0, 0, "dots inside"},
    {"x.", 0, 0, "trailing dot"},
    {"Ubuntu-24.04-desktop-amd64.iso", 0, 0, "dashes"},
    {"\xc3\xa9t\xc3\xa9.img", 0, 0, "UTF-8 accents"},
    {"\xe6\x97\xa5\xe6\x9c\xac.iso", 0, 0, "UTF-8 CJK"},
    {"\xf0\x9f\x92\xbf.iso", 0, 0, "UTF-8 4-byte (emoji)"},
    {"a\\b", 0, 0, "backslash is a plain character"},
    {"", 0, -EINVAL, "empty"},
    {".", 0, -EINVAL, "dot"},
    {"..", 0, -EINVAL, "dot-dot"},
    {".hidden", 0, -EINVAL, "leading dot"},
    {"../x", 0, -EINVAL, "traversal"},
    {"a/b", 0, -EINVAL, "slash"},
    {"/etc/passwd", 0, -EINVAL, "absolute path"},
    {"x/", 0, -EINVAL, "trailing slash"},
    {"a\nb", 0, -EINVAL, "newline"},
    {"a\rb", 0, -EINVAL, "carriage return"},
    {"a\tb", 0, -EINVAL, "tab"},
    {"a\x7f", 0, -EINVAL, "DEL"},
    {"a\xc2\x85", 0, -EINVAL, "C1 control NEL"},
    {"a\0b", 3, -EINVAL, "embedded NUL"},
    {"\xff.iso", 0, -EINVAL, "invalid byte"},
    {"\xc3", 0, -EINVAL, "truncated sequence"},
    {"\xc0\xaf", 0, -EINVAL, "overlong slash"},
    {"\xe0\x80\xaf", 0, -EINVAL, "3-byte overlong slash"},
    {"\xed\xa0\x80", 0, -EINVAL, "UTF-16 surrogate"},
    {"\xf4\x90\x80\x80", 0, -EINVAL, "beyond U+10FFFF"},
    {"\x80x", 0, -EINVAL, "lone continuation byte"},
};

int
main(void)
{
	char long_name[400];
	size_t i, len;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		error_clear();
		len = cases[i].len ? cases[i].len : strlen(cases[i].name);
		r = name_check(cases[i].name, len);
		is_int(r, cases[i].want, "%s", cases[i].what);
		if (cases[i].want < 0)
			ok(error_get() != NULL && strlen(error_get()) > 10,
			    "%s: a message says why", cases[i].what);
	}

	memset(long_name, 'a', sizeof(long_name));
	is_int(name_check(long_name, 255), 0, "255 bytes are fine");
	is_int(name_check(long_name, 256), -EINVAL, "256 bytes are not");
	is_int(name_check(long_name, 300), -EINVAL, "300 bytes are not");
	ok(strstr(error_get(), "300") != NULL, "message names the length: %s",
	    error_get());
	/* 85 three-byte characters = 255 bytes; one more ASCII is 256. */
	for (i = 0; i < 85; i++)
		memcpy(long_name + 3 * i, "\xe2\x82\xac", 3);
	is_int(name_check(long_name, 255), 0, "255 bytes of euro signs");
	long_name[255] = 'x';
	is_int(name_check(long_name, 256), -EINVAL, "bytes, not characters");
	is_int(name_check(NULL, 0), -EINVAL, "NULL");
	return tap_done();
}
