/* http.c -- being written; see http.h */
