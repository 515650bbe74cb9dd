/* metrics.c -- being written; see metrics.h */
