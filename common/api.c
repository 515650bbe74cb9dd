/* api.c -- being written; see api.h */
