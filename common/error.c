/* error.c -- being written; see error.h */
