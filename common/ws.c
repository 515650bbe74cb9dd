/* ws.c -- being written; see ws.h */
