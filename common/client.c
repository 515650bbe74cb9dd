/* client.c -- being written; see client.h */
