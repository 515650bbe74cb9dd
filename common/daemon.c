/* daemon.c -- being written; see daemon.h */
