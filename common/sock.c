/* sock.c -- being written; see sock.h */
