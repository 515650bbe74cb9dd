/* sha1.c -- being written; see sha1.h */
