/* xmalloc.c -- being written; see xmalloc.h */
